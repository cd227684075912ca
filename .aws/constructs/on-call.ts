import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Construct } from "constructs";
import { FunctionEnv } from "../../contracts/control-plane";
import type { EnvironmentNames } from "../../contracts/resource-names";
import { allow } from "../iam";
import type { ControlPlaneFunction } from "./control-plane-function";

export interface OnCallProps {
  names: EnvironmentNames;
  region: string;
  accountId: string;
}

/**
 * Where on-call hears from: the alarm topic every control-plane alarm notifies, and the Slack webhook the alerter posts
 * to (an SSM parameter operators create).
 */
export class OnCall extends Construct {
  readonly alarmTopic: SnsTopic;
  private readonly names: EnvironmentNames;
  private readonly region: string;
  private readonly accountId: string;

  constructor(scope: Construct, id: string, props: OnCallProps) {
    super(scope, id);
    this.names = props.names;
    this.region = props.region;
    this.accountId = props.accountId;
    this.alarmTopic = new SnsTopic(this, "alarms", {
      name: `${props.names.prefix}-alarms`,
      kmsMasterKeyId: "alias/aws/sns",
    });
  }

  /**
   * Lets the alerter post (the `notifier` port): the webhook parameter's name and permission to read and decrypt it,
   * and delivers every alarm to it.
   */
  bindAlerter(alerter: ControlPlaneFunction): void {
    const parameter = this.names.slackWebhookParameter;
    // The environment's name heads every message on-call reads.
    alerter.addEnvironmentNames();
    alerter.addEnvironment({ [FunctionEnv.slackWebhookParameter]: parameter });
    alerter.addToRolePolicy(
      allow(["ssm:GetParameter"], [`arn:aws:ssm:${this.region}:${this.accountId}:parameter${parameter}`]),
      allow(["kms:Decrypt"], [`arn:aws:kms:${this.region}:${this.accountId}:alias/aws/ssm`], {
        StringEquals: { "kms:ViaService": `ssm.${this.region}.amazonaws.com` },
      }),
    );
    new SnsTopicSubscription(this, "alarms-to-alerter", {
      topicArn: this.alarmTopic.arn,
      protocol: "lambda",
      endpoint: alerter.arn,
    });
    new LambdaPermission(this, "alarms-invoke-alerter", {
      functionName: alerter.functionName,
      action: "lambda:InvokeFunction",
      principal: "sns.amazonaws.com",
      sourceArn: this.alarmTopic.arn,
    });
  }
}
