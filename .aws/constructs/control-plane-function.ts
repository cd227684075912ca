import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config";
import { AssetType, Lazy, TerraformAsset } from "cdktf";
import { Construct } from "constructs";
import type { ControlPlaneFunctionName, FunctionEnvName } from "../../contracts/control-plane";
import { FunctionEnv } from "../../contracts/control-plane";
import type { EnvironmentNames } from "../../contracts/resource-names";
import type { PolicyStatement } from "../iam";
import { DeadLetterQueue } from "./dead-letter-queue";
import { allow, assumeRolePolicy, policyDocument } from "../iam";

export interface ControlPlaneFunctionProps {
  name: ControlPlaneFunctionName;
  names: EnvironmentNames;
  /** Folder holding the esbuild bundle (`index.js` and its source map). */
  bundleDir: string;
  memoryMiB: number;
  timeoutSeconds: number;
  reservedConcurrency: number;
  logRetentionDays: number;
  alarms: { topicArn: string; errorsPerPeriod: number; periodSeconds: number };
  tracing: "off" | "active";
}

/**
 * One control-plane Lambda: arm64 on nodejs22.x, X-Ray traced if the environment says so, its own role, its own log group with retention, and an
 * encrypted dead-letter queue where asynchronous events go after their retries. Errors, throttles and dead letters
 * raise alarms. It starts knowing only its environment's names; each resource it uses is bound to it with that
 * resource's `grant*`/`bind*` call, which adds the environment variables and the IAM statements together.
 */
export class ControlPlaneFunction extends Construct {
  readonly name: ControlPlaneFunctionName;
  private readonly names: EnvironmentNames;
  readonly function: LambdaFunction;
  readonly deadLetterQueue: DeadLetterQueue;
  readonly logGroupName: string;
  private readonly environment: Partial<Record<FunctionEnvName, string>> = {};
  private readonly statements: PolicyStatement[] = [];

  constructor(scope: Construct, id: string, props: ControlPlaneFunctionProps) {
    super(scope, id);
    this.name = props.name;
    this.names = props.names;
    const functionName = props.names.functionName(props.name);
    const logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/aws/lambda/${functionName}`,
      retentionInDays: props.logRetentionDays,
    });
    this.logGroupName = logGroup.name;
    this.deadLetterQueue = new DeadLetterQueue(this, "dead-letters", {
      name: `${functionName}-dlq`,
      description: `${functionName} could not process asynchronous events after its retries`,
      alarms: props.alarms,
    });
    const role = new IamRole(this, "role", {
      name: functionName,
      assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com"),
    });
    this.addToRolePolicy(
      allow(["logs:CreateLogStream", "logs:PutLogEvents"], [`${logGroup.arn}:log-stream:*`]),
      allow(["sqs:SendMessage"], [this.deadLetterQueue.arn]),
    );
    if (props.tracing === "active")
      this.addToRolePolicy(allow(["xray:PutTraceSegments", "xray:PutTelemetryRecords"], ["*"]));
    const policy = new IamRolePolicy(this, "policy", {
      role: role.id,
      name: "least-privilege",
      policy: Lazy.stringValue({ produce: () => policyDocument(this.statements) }),
    });
    const code = new TerraformAsset(this, "code", { path: props.bundleDir, type: AssetType.ARCHIVE });
    this.function = new LambdaFunction(this, "function", {
      functionName,
      role: role.arn,
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      handler: "index.handler",
      filename: code.path,
      sourceCodeHash: code.assetHash,
      memorySize: props.memoryMiB,
      timeout: props.timeoutSeconds,
      reservedConcurrentExecutions: props.reservedConcurrency,
      tracingConfig: { mode: props.tracing === "active" ? "Active" : "PassThrough" },
      deadLetterConfig: { targetArn: this.deadLetterQueue.arn },
      loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
      environment: {
        variables: Lazy.anyValue({
          produce: () => ({
            NODE_OPTIONS: "--enable-source-maps",
            POWERTOOLS_SERVICE_NAME: functionName,
            ...this.environment,
          }),
        }) as unknown as Record<string, string>,
      },
      // The first apply must not create the function before it may write logs and dead letters.
      dependsOn: [logGroup, policy],
    });
    new LambdaFunctionEventInvokeConfig(this, "async-retries", {
      functionName: this.function.functionName,
      maximumRetryAttempts: 2,
      maximumEventAgeInSeconds: 6 * 3600,
    });
    this.addAlarms(functionName, props.alarms);
  }

  get arn(): string {
    return this.function.arn;
  }

  get functionName(): string {
    return this.function.functionName;
  }

  /** Sets environment variables the function reads at cold start (see `contracts/control-plane.ts`). */
  addEnvironment(variables: Partial<Record<FunctionEnvName, string>>): void {
    for (const [name, value] of Object.entries(variables) as [FunctionEnvName, string][]) {
      const set = this.environment[name];
      if (set !== undefined && set !== value)
        throw new Error(`${this.name}: ${name} is bound twice with different values`);
      this.environment[name] = value;
    }
  }

  /** Tells the function which environment it serves, for ports that find resources by name (task families, logs). */
  addEnvironmentNames(): void {
    this.addEnvironment({
      [FunctionEnv.environment]: this.names.environment,
      [FunctionEnv.ssmEnvironment]: this.names.ssmEnvironment,
    });
  }

  /** Allows the function to call what these statements name, beyond its own logs, traces and dead letters. */
  addToRolePolicy(...statements: PolicyStatement[]): void {
    this.statements.push(...statements);
  }

  /** Lets `grantee` hand this function work asynchronously (the launch queue): its name and the invoke permission. */
  grantInvoke(grantee: ControlPlaneFunction): void {
    grantee.addEnvironment({ [FunctionEnv.launcherFunctionName]: this.functionName });
    grantee.addToRolePolicy(allow(["lambda:InvokeFunction"], [this.arn]));
  }

  private addAlarms(functionName: string, alarms: ControlPlaneFunctionProps["alarms"]): void {
    const alarm = (
      name: string,
      metric: { namespace: string; metricName: string; dimensions: Record<string, string> },
      threshold: number,
      description: string,
    ) =>
      new CloudwatchMetricAlarm(this, `${name}-alarm`, {
        alarmName: `${functionName}-${name}`,
        alarmDescription: description,
        namespace: metric.namespace,
        metricName: metric.metricName,
        dimensions: metric.dimensions,
        statistic: "Sum",
        period: alarms.periodSeconds,
        evaluationPeriods: 1,
        threshold,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
        alarmActions: [alarms.topicArn],
        okActions: [alarms.topicArn],
      });
    const fn = { FunctionName: functionName };
    alarm(
      "errors",
      { namespace: "AWS/Lambda", metricName: "Errors", dimensions: fn },
      alarms.errorsPerPeriod,
      `${functionName} failed invocations`,
    );
    alarm(
      "throttles",
      { namespace: "AWS/Lambda", metricName: "Throttles", dimensions: fn },
      0,
      `${functionName} was throttled`,
    );
  }
}
