import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { Construct } from "constructs";

export interface DeadLetterQueueProps {
  name: string;
  /** What to inspect when the alarm fires, for on-call: where the messages come from. */
  description: string;
  alarms: { topicArn: string; periodSeconds: number };
}

/**
 * Where messages go that could not be delivered after their retries, encrypted (SSE-SQS, which EventBridge, Scheduler
 * and Lambda can all write to) and kept 14 days, with an alarm as soon as one arrives: nothing is dropped silently.
 */
export class DeadLetterQueue extends Construct {
  readonly queue: SqsQueue;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.queue = new SqsQueue(this, "queue", {
      name: props.name,
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: 14 * 24 * 3600,
    });
    new CloudwatchMetricAlarm(this, "alarm", {
      alarmName: props.name,
      alarmDescription: `${props.description}: inspect and redrive ${props.name}`,
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: this.queue.name },
      statistic: "Maximum",
      period: props.alarms.periodSeconds,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      alarmActions: [props.alarms.topicArn],
      okActions: [props.alarms.topicArn],
    });
  }

  get arn(): string {
    return this.queue.arn;
  }
}
