import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { LambdaFunctionUrl } from "@cdktf/provider-aws/lib/lambda-function-url";
import { Construct } from "constructs";
import type { EnvironmentNames } from "../../contracts/resource-names";
import type { PolicyStatement } from "../iam";
import { allow, policyDocument } from "../iam";
import type { ControlPlaneFunction } from "./control-plane-function";

export interface OperatorAccessProps {
  names: EnvironmentNames;
  region: string;
  accountId: string;
  launcher: ControlPlaneFunction;
  runsTableArn: string;
}

/**
 * Who may look, and who may act. Operators' commands reach the launcher only through its URL (a function URL with
 * `AuthType: AWS_IAM`): Lambda checks the caller's SigV4 signature and permissions, and hands the launcher the caller's
 * principal, which it records as the command's `requestedBy`. Two policies a team attaches to its own roles:
 * `<prefix>-viewer` reads the runs table and the flows' logs (the CLI's `runs`, `show`, `logs`, the page); and
 * `<prefix>-operator` also sends commands, through the URL only (its `lambda:InvokeFunction` holds only with
 * `lambda:InvokedViaFunctionUrl`, so it cannot invoke the launcher directly and name someone else).
 */
export class OperatorAccess extends Construct {
  readonly url: LambdaFunctionUrl;
  readonly viewerPolicy: IamPolicy;
  readonly operatorPolicy: IamPolicy;

  constructor(scope: Construct, id: string, props: OperatorAccessProps) {
    super(scope, id);
    const { names } = props;
    this.url = new LambdaFunctionUrl(this, "launcher-url", {
      functionName: props.launcher.functionName,
      authorizationType: "AWS_IAM",
    });
    const view = viewerStatements(props);
    this.viewerPolicy = new IamPolicy(this, "viewer", {
      name: `${names.prefix}-viewer`,
      description: `Read ${names.environment}'s runs and flow logs (data-flows runs, show, logs; the run-history page)`,
      policy: policyDocument(view),
    });
    this.operatorPolicy = new IamPolicy(this, "operator", {
      name: `${names.prefix}-operator`,
      description: `Read ${names.environment}'s runs and logs, and send commands through the launcher's URL`,
      policy: policyDocument([...view, ...operatorStatements(props.launcher.arn)]),
    });
  }
}

/** What the CLI and the page read: the runs table and its indexes, and each flow task's log stream. */
function viewerStatements(props: OperatorAccessProps): PolicyStatement[] {
  const logStreams = `arn:aws:logs:${props.region}:${props.accountId}:log-group:${props.names.flowLogGroup("*")}:log-stream:*`;
  return [
    allow(["dynamodb:GetItem", "dynamodb:Query"], [props.runsTableArn, `${props.runsTableArn}/index/*`]),
    allow(["logs:GetLogEvents"], [logStreams]),
  ];
}

/** Sending a command: find the launcher's URL, and invoke it through the URL only, IAM-authenticated. */
function operatorStatements(launcherArn: string): PolicyStatement[] {
  return [
    allow(["lambda:GetFunctionUrlConfig"], [launcherArn]),
    allow(["lambda:InvokeFunctionUrl"], [launcherArn], { StringEquals: { "lambda:FunctionUrlAuthType": "AWS_IAM" } }),
    allow(["lambda:InvokeFunction"], [launcherArn], { Bool: { "lambda:InvokedViaFunctionUrl": "true" } }),
  ];
}
