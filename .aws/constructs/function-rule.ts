import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { Construct } from "constructs";
import type { ControlPlaneFunction } from "./control-plane-function";

export interface FunctionRuleProps {
  /** The rule's name, unique in its bus. */
  name: string;
  description: string;
  /** A custom bus; the account's default bus (where AWS services publish) when absent. */
  eventBusName?: string;
  eventPattern?: object;
  scheduleExpression?: string;
  target: ControlPlaneFunction;
  /** Where EventBridge puts an event it could not deliver (permissions, throttling) after its retries. */
  deadLetterArn: string;
}

/** An EventBridge rule delivering to a control-plane function, with the invoke permission scoped to that rule. */
export class FunctionRule extends Construct {
  readonly rule: CloudwatchEventRule;

  constructor(scope: Construct, id: string, props: FunctionRuleProps) {
    super(scope, id);
    this.rule = new CloudwatchEventRule(this, "rule", {
      name: props.name,
      description: props.description,
      ...(props.eventBusName && { eventBusName: props.eventBusName }),
      ...(props.eventPattern && { eventPattern: JSON.stringify(props.eventPattern) }),
      ...(props.scheduleExpression && { scheduleExpression: props.scheduleExpression }),
    });
    new CloudwatchEventTarget(this, "target", {
      rule: this.rule.name,
      ...(props.eventBusName && { eventBusName: props.eventBusName }),
      arn: props.target.arn,
      retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 24 * 3600 },
      deadLetterConfig: { arn: props.deadLetterArn },
    });
    new LambdaPermission(this, "permission", {
      functionName: props.target.functionName,
      action: "lambda:InvokeFunction",
      principal: "events.amazonaws.com",
      sourceArn: this.rule.arn,
    });
  }
}
