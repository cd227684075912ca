import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Construct } from "constructs";
import { FunctionEnv } from "../../contracts/control-plane";
import type { EnvironmentNames } from "../../contracts/resource-names";
import { parameterArn, readParameters } from "../iam";
import type { ControlPlaneFunction } from "./control-plane-function";

export interface OnCallProps {
  names: EnvironmentNames;
  region: string;
  accountId: string;
}

/**
 * Where on-call hears from: the alarm topic every control-plane alarm notifies, and the Slack webhook the alerter posts
 * to (an SSM parameter operators create).
 *
 * The topic is encrypted with a key of its own: CloudWatch can publish to an encrypted topic only if the key policy
 * lets it use the key, and the AWS-managed `alias/aws/sns` key's policy cannot be changed, so alarms sent to a topic
 * encrypted with it are dropped.
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
    const key = new KmsKey(this, "alarm-key", {
      description: `Encrypts ${props.names.prefix}-alarms; CloudWatch may use it to publish alarms`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "AccountAdministersTheKeyThroughIam",
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${props.accountId}:root` },
            Action: "kms:*",
            Resource: "*",
          },
          {
            Sid: "CloudWatchPublishesAlarmsOfThisAccount",
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
            Resource: "*",
            Condition: { StringEquals: { "aws:SourceAccount": props.accountId } },
          },
        ],
      }),
    });
    new KmsAlias(this, "alarm-key-alias", { name: `alias/${props.names.prefix}-alarms`, targetKeyId: key.keyId });
    this.alarmTopic = new SnsTopic(this, "alarms", { name: `${props.names.prefix}-alarms`, kmsMasterKeyId: key.arn });
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
      ...readParameters("ssm:GetParameter", this.region, this.accountId, [
        parameterArn(this.region, this.accountId, parameter),
      ]),
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
