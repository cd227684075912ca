import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { AssetType, TerraformAsset } from "cdktf";
import { Construct } from "constructs";
import type { PolicyStatement } from "../iam";
import { allow, assumeRolePolicy, policyDocument } from "../iam";

export interface ControlPlaneFunctionProps {
  functionName: string;
  /** Folder holding the esbuild bundle (`index.js` and its source map). */
  bundleDir: string;
  memoryMiB: number;
  timeoutSeconds: number;
  reservedConcurrency: number;
  environment: Record<string, string>;
  /** What this function calls, beyond writing its own logs, traces and dead letters. */
  statements: PolicyStatement[];
  logRetentionDays: number;
  alarms: { topicArn: string; errorsPerPeriod: number; periodSeconds: number };
}

/**
 * One control-plane Lambda: arm64 on nodejs22.x, X-Ray traced, its own role with only what it calls, its own log
 * group with retention, and an encrypted dead-letter queue where asynchronous events go after their retries.
 * Errors, throttles and dead letters raise alarms.
 */
export class ControlPlaneFunction extends Construct {
  readonly function: LambdaFunction;
  readonly deadLetterQueue: SqsQueue;
  readonly logGroupName: string;

  constructor(scope: Construct, id: string, props: ControlPlaneFunctionProps) {
    super(scope, id);
    const logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: props.logRetentionDays,
    });
    this.logGroupName = logGroup.name;
    this.deadLetterQueue = new SqsQueue(this, "dead-letters", {
      name: `${props.functionName}-dlq`,
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: 14 * 24 * 3600,
    });
    const role = new IamRole(this, "role", {
      name: props.functionName,
      assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com"),
    });
    new IamRolePolicy(this, "policy", {
      role: role.id,
      name: "least-privilege",
      policy: policyDocument([
        allow(["logs:CreateLogStream", "logs:PutLogEvents"], [`${logGroup.arn}:log-stream:*`]),
        allow(["xray:PutTraceSegments", "xray:PutTelemetryRecords"], ["*"]),
        allow(["sqs:SendMessage"], [this.deadLetterQueue.arn]),
        ...props.statements,
      ]),
    });
    const code = new TerraformAsset(this, "code", { path: props.bundleDir, type: AssetType.ARCHIVE });
    this.function = new LambdaFunction(this, "function", {
      functionName: props.functionName,
      role: role.arn,
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      handler: "index.handler",
      filename: code.path,
      sourceCodeHash: code.assetHash,
      memorySize: props.memoryMiB,
      timeout: props.timeoutSeconds,
      reservedConcurrentExecutions: props.reservedConcurrency,
      tracingConfig: { mode: "Active" },
      deadLetterConfig: { targetArn: this.deadLetterQueue.arn },
      loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
      environment: {
        variables: {
          NODE_OPTIONS: "--enable-source-maps",
          POWERTOOLS_SERVICE_NAME: props.functionName,
          ...props.environment,
        },
      },
      dependsOn: [logGroup],
    });
    new LambdaFunctionEventInvokeConfig(this, "async-retries", {
      functionName: this.function.functionName,
      maximumRetryAttempts: 2,
      maximumEventAgeInSeconds: 6 * 3600,
    });

    const alarm = (
      name: string,
      metric: { namespace: string; metricName: string; dimensions: Record<string, string> },
      threshold: number,
      description: string,
    ) =>
      new CloudwatchMetricAlarm(this, `${name}-alarm`, {
        alarmName: `${props.functionName}-${name}`,
        alarmDescription: description,
        namespace: metric.namespace,
        metricName: metric.metricName,
        dimensions: metric.dimensions,
        statistic: metric.metricName === "ApproximateNumberOfMessagesVisible" ? "Maximum" : "Sum",
        period: props.alarms.periodSeconds,
        evaluationPeriods: 1,
        threshold,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
        alarmActions: [props.alarms.topicArn],
        okActions: [props.alarms.topicArn],
      });
    const fn = { FunctionName: props.functionName };
    alarm(
      "errors",
      { namespace: "AWS/Lambda", metricName: "Errors", dimensions: fn },
      props.alarms.errorsPerPeriod,
      `${props.functionName} failed invocations`,
    );
    alarm(
      "throttles",
      { namespace: "AWS/Lambda", metricName: "Throttles", dimensions: fn },
      0,
      `${props.functionName} was throttled`,
    );
    alarm(
      "dead-letters",
      {
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: this.deadLetterQueue.name },
      },
      0,
      `${props.functionName} dead-lettered events: inspect and redrive ${props.functionName}-dlq`,
    );
  }
}
