import { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule";
import { SchedulerScheduleGroup } from "@cdktf/provider-aws/lib/scheduler-schedule-group";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { Fn, S3Backend, TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import type { FlowRegistry } from "../flows/registry/flow-registry";
import { scheduleSpecOf, toSchedulerExpression } from "../flows/registry/schedule";
import { RUN_EVENT_DETAIL_TYPE, RUN_EVENT_SOURCE } from "../lambdas/core/run-events";
import { RunState } from "../lambdas/core/run-state";
import type { ControlPlaneFunctionName } from "./bundle-lambdas";
import type { EnvironmentConfig } from "./config";
import { functionName, resourcePrefix, runsTableName, TERRAFORM_VERSION } from "./config";
import { ControlPlaneFunction } from "./constructs/control-plane-function";
import { FlowTasks } from "./constructs/flow-tasks";
import { Network } from "./constructs/network";
import { RunsTable } from "./constructs/runs-table";
import { allow, assumeRolePolicy, policyDocument } from "./iam";

export interface DataFlowsStackProps {
  config: EnvironmentConfig;
  registry: FlowRegistry;
  /** The esbuild bundle folder of each control-plane function. */
  bundles: Record<ControlPlaneFunctionName, string>;
}

const FUNCTION_SIZES: Record<
  ControlPlaneFunctionName,
  { memoryMiB: number; timeoutSeconds: number; reservedConcurrency: number }
> = {
  launcher: { memoryMiB: 256, timeoutSeconds: 30, reservedConcurrency: 20 },
  recorder: { memoryMiB: 256, timeoutSeconds: 30, reservedConcurrency: 20 },
  alerter: { memoryMiB: 256, timeoutSeconds: 60, reservedConcurrency: 5 },
  reaper: { memoryMiB: 256, timeoutSeconds: 120, reservedConcurrency: 1 },
};

/** States the alerter hears about: failures page, SUCCEEDED may post "recovered", SKIPPED may warn about lateness. */
const ALERTED_STATES = [
  RunState.FAILED,
  RunState.TIMED_OUT,
  RunState.LOST,
  RunState.RETRYING,
  RunState.SKIPPED,
  RunState.SUCCEEDED,
];

/** One environment of data-flows: network, flow tasks, runs table, control-plane functions, schedules and alarms. */
export class DataFlowsStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: DataFlowsStackProps) {
    super(scope, id);
    const { config, registry } = props;
    const prefix = resourcePrefix(config);
    const arn = (service: string, resource: string) =>
      `arn:aws:${service}:${config.region}:${config.accountId}:${resource}`;

    new AwsProvider(this, "aws", {
      region: config.region,
      allowedAccountIds: [config.accountId],
      defaultTags: [{ tags: { project: "data-flows", environment: config.environment, "managed-by": "terraform" } }],
    });
    this.addOverride("terraform.required_version", TERRAFORM_VERSION);
    new S3Backend(this, {
      bucket: config.stateBackend.bucket,
      key: config.stateBackend.key,
      region: config.stateBackend.region,
      dynamodbTable: config.stateBackend.lockTable,
      encrypt: true,
    });
    const imageTag = new TerraformVariable(this, "image_tag", {
      type: "string",
      description: "Tag of the flow image in ECR that every task definition pins (the commit SHA)",
    });

    const network = new Network(this, "network", { prefix, network: config.network });
    const tasks = new FlowTasks(this, "flow-tasks", {
      prefix,
      logGroupPrefix: `/data-flows/${config.environment}`,
      region: config.region,
      accountId: config.accountId,
      ssmEnvironment: config.ssmEnvironment,
      flows: registry.flows,
      logRetentionDays: config.logRetentionDays,
      keepImages: config.keepImages,
      cpuArchitecture: config.flowImageArchitecture,
      imageTag: imageTag.stringValue,
    });
    const runs = new RunsTable(this, "runs", {
      name: runsTableName(config),
      deletionProtection: config.tableDeletionProtection,
    });
    const bus = new CloudwatchEventBus(this, "run-events", { name: prefix });
    const alarmTopic = new SnsTopic(this, "alarms", { name: `${prefix}-alarms`, kmsMasterKeyId: "alias/aws/sns" });

    const clusterTasks = arn("ecs", `task/${prefix}/*`);
    const inThisCluster = { ArnEquals: { "ecs:cluster": tasks.clusterArn } };
    const runStore = allow(
      ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"],
      runs.resourceArns,
    );
    const publishRunEvents = allow(["events:PutEvents"], [bus.arn]);
    const runStoreEnvironment = {
      RUNS_TABLE_NAME: runs.table.name,
      RUN_RETENTION_DAYS: String(config.runRetentionDays),
    };
    const slackWebhookParameter = `/DataFlows/${config.ssmEnvironment}/SLACK_WEBHOOK_URL`;

    // EventBridge Scheduler: flow schedules and the one-time retry schedules both invoke the launcher with this role.
    const scheduleGroup = new SchedulerScheduleGroup(this, "schedule-group", { name: prefix });
    const schedulerDeadLetters = new SqsQueue(this, "scheduler-dead-letters", {
      name: `${prefix}-scheduler-dlq`,
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: 14 * 24 * 3600,
    });
    const schedulerRole = new IamRole(this, "scheduler-role", {
      name: `${prefix}-scheduler`,
      assumeRolePolicy: assumeRolePolicy("scheduler.amazonaws.com", {
        StringEquals: { "aws:SourceAccount": config.accountId },
      }),
    });
    const retryGroup = new SchedulerScheduleGroup(this, "retry-schedule-group", { name: `${prefix}-retries` });
    const launcherArn = arn("lambda", `function:${prefix}-launcher`);
    const retryEnvironment = {
      RETRY_SCHEDULE_GROUP: retryGroup.name,
      RETRY_ROLE_ARN: schedulerRole.arn,
      RETRY_DEAD_LETTER_ARN: schedulerDeadLetters.arn,
      LAUNCHER_ARN: launcherArn,
      RETRY_BASE_DELAY_SECONDS: String(config.retryBaseDelaySeconds),
    };
    const scheduleRetries = [
      allow(["scheduler:CreateSchedule"], [arn("scheduler", `schedule/${prefix}-retries/*`)]),
      allow(["iam:PassRole"], [schedulerRole.arn], {
        StringEquals: { "iam:PassedToService": "scheduler.amazonaws.com" },
      }),
    ];

    const functions = new Map<ControlPlaneFunctionName, ControlPlaneFunction>();
    const fn = (
      name: ControlPlaneFunctionName,
      environment: Record<string, string>,
      statements: ReturnType<typeof allow>[],
    ) =>
      functions
        .set(
          name,
          new ControlPlaneFunction(this, name, {
            functionName: functionName(config, name),
            bundleDir: props.bundles[name],
            ...FUNCTION_SIZES[name],
            environment,
            statements,
            logRetentionDays: config.logRetentionDays,
            alarms: {
              topicArn: alarmTopic.arn,
              errorsPerPeriod: config.alarms.functionErrorsPerPeriod,
              periodSeconds: config.alarms.periodSeconds,
            },
          }),
        )
        .get(name)!.function;

    const launcher = fn(
      "launcher",
      {
        ...runStoreEnvironment,
        ...retryEnvironment,
        CLUSTER_ARN: tasks.clusterArn,
        SUBNET_IDS: Fn.join(",", network.privateSubnetIds),
        SECURITY_GROUP_IDS: network.taskSecurityGroupId,
        TASK_DEFINITION_PREFIX: `${prefix}-`,
        EVENT_BUS_NAME: bus.name,
      },
      [
        allow(
          ["ecs:RunTask"],
          tasks.flows.map((flow) => arn("ecs", `task-definition/${flow.family}:*`)),
          inThisCluster,
        ),
        allow(["ecs:TagResource"], [clusterTasks], { StringEquals: { "ecs:CreateAction": "RunTask" } }),
        allow(
          ["iam:PassRole"],
          tasks.flows.flatMap((flow) => [flow.executionRoleArn, flow.taskRoleArn]),
          { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
        ),
        runStore,
        publishRunEvents,
        ...scheduleRetries,
      ],
    );
    const recorder = fn(
      "recorder",
      { ...runStoreEnvironment, ...retryEnvironment, CLUSTER_ARN: tasks.clusterArn, EVENT_BUS_NAME: bus.name },
      [runStore, publishRunEvents, ...scheduleRetries],
    );
    const alerter = fn(
      "alerter",
      {
        ...runStoreEnvironment,
        ENVIRONMENT: config.environment,
        SLACK_WEBHOOK_PARAMETER: slackWebhookParameter,
        FLOW_LOG_GROUP_PREFIX: `/data-flows/${config.environment}/flows/`,
      },
      [
        allow(["ssm:GetParameter"], [arn("ssm", `parameter${slackWebhookParameter}`)]),
        allow(["kms:Decrypt"], [arn("kms", "alias/aws/ssm")], {
          StringEquals: { "kms:ViaService": `ssm.${config.region}.amazonaws.com` },
        }),
        allow(
          ["logs:GetLogEvents"],
          tasks.flows.map((flow) => `${flow.logGroupArn}:log-stream:*`),
        ),
        runStore,
      ],
    );
    const reaper = fn(
      "reaper",
      {
        ...runStoreEnvironment,
        ...retryEnvironment,
        CLUSTER_ARN: tasks.clusterArn,
        EVENT_BUS_NAME: bus.name,
        LAUNCHER_FUNCTION_NAME: launcher.functionName,
      },
      [
        allow(["ecs:StopTask", "ecs:DescribeTasks"], [clusterTasks], inThisCluster),
        allow(["lambda:InvokeFunction"], [launcher.arn]),
        runStore,
        publishRunEvents,
        ...scheduleRetries,
      ],
    );

    // EventBridge Scheduler: one schedule per enabled flow, all sending the launcher the same payload shape.
    new CloudwatchMetricAlarm(this, "scheduler-dead-letters-alarm", {
      alarmName: `${prefix}-scheduler-dead-letters`,
      alarmDescription: `Schedules or retries could not invoke the launcher: inspect ${prefix}-scheduler-dlq`,
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: schedulerDeadLetters.name },
      statistic: "Maximum",
      period: config.alarms.periodSeconds,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      alarmActions: [alarmTopic.arn],
      okActions: [alarmTopic.arn],
    });
    new IamRolePolicy(this, "scheduler-policy", {
      role: schedulerRole.id,
      name: "invoke-launcher",
      policy: policyDocument([
        allow(["lambda:InvokeFunction"], [launcher.arn]),
        allow(["sqs:SendMessage"], [schedulerDeadLetters.arn]),
      ]),
    });
    for (const flow of registry.flows) {
      if (!flow.schedule?.enabled) continue;
      const { timezone } = flow.schedule;
      new SchedulerSchedule(this, `schedule-${flow.name}`, {
        name: flow.name,
        groupName: scheduleGroup.name,
        description: flow.description,
        scheduleExpression: toSchedulerExpression(scheduleSpecOf(flow.schedule)),
        scheduleExpressionTimezone: timezone,
        flexibleTimeWindow: { mode: "OFF" },
        state: "ENABLED",
        target: {
          arn: launcher.arn,
          roleArn: schedulerRole.arn,
          input: JSON.stringify({
            flow: flow.name,
            trigger: "schedule",
            scheduledTime: "<aws.scheduler.scheduled-time>",
          }),
          retryPolicy: { maximumRetryAttempts: 10, maximumEventAgeInSeconds: flow.maxLatenessMinutes * 60 },
          deadLetterConfig: { arn: schedulerDeadLetters.arn },
        },
      });
    }

    // ECS task state changes of this cluster → recorder.
    this.route("task-state-changes", recorder, {
      eventPattern: {
        source: ["aws.ecs"],
        "detail-type": ["ECS Task State Change"],
        detail: { clusterArn: [tasks.clusterArn] },
      },
      description: "ECS task state changes of the flow cluster",
    });
    // Run state changes worth a message → alerter.
    this.route("run-alerts", alerter, {
      eventBusName: bus.name,
      eventPattern: {
        source: [RUN_EVENT_SOURCE],
        "detail-type": [RUN_EVENT_DETAIL_TYPE],
        detail: { to: ALERTED_STATES },
      },
      description: "Run state changes the on-call channel hears about",
    });
    // Events the recorder ignored, counted by reason (other cluster, unknown run, stale, duplicate…) from its logs.
    new CloudwatchLogMetricFilter(this, "ignored-task-events", {
      name: `${prefix}-ignored-task-events`,
      logGroupName: functions.get("recorder")!.logGroupName,
      pattern: "{ $.ignored = * }",
      metricTransformation: {
        name: "IgnoredTaskEvents",
        namespace: "DataFlows",
        value: "1",
        dimensions: { environment: config.environment, reason: "$.ignored" },
      },
    });
    // Successes of flows that others follow → launcher, which starts the downstream flows.
    const upstreamFlows = [...new Set(registry.flows.flatMap((flow) => flow.upstream))].sort();
    if (upstreamFlows.length > 0) {
      this.route("upstream-successes", launcher, {
        eventBusName: bus.name,
        eventPattern: {
          source: [RUN_EVENT_SOURCE],
          "detail-type": [RUN_EVENT_DETAIL_TYPE],
          detail: { to: [RunState.SUCCEEDED], flow: upstreamFlows },
        },
        description: "Successes that start downstream flows",
      });
    }
    // The reaper's heartbeat.
    this.route("reaper-schedule", reaper, {
      scheduleExpression: "rate(5 minutes)",
      description: "Enforce timeouts, reconcile lost runs",
    });
    // Control-plane alarms → alerter.
    new SnsTopicSubscription(this, "alarms-to-alerter", {
      topicArn: alarmTopic.arn,
      protocol: "lambda",
      endpoint: alerter.arn,
    });
    new LambdaPermission(this, "alarms-invoke-alerter", {
      functionName: alerter.functionName,
      action: "lambda:InvokeFunction",
      principal: "sns.amazonaws.com",
      sourceArn: alarmTopic.arn,
    });

    new TerraformOutput(this, "cluster_name", { value: tasks.clusterName });
    new TerraformOutput(this, "runs_table_name", { value: runs.table.name });
    new TerraformOutput(this, "ecr_repository_url", { value: tasks.repositoryUrl });
    new TerraformOutput(this, "egress_ip", {
      value: network.egressIp,
      description: "The NAT gateway's public address: allow-list it in Snowflake (network policy) or Redshift",
    });
    new TerraformOutput(this, "launcher_function_name", { value: launcher.functionName });
    new TerraformOutput(this, "event_bus_name", { value: bus.name });
  }

  /** An EventBridge rule delivering to a function, with the invoke permission scoped to that rule. */
  private route(
    id: string,
    target: { arn: string; functionName: string },
    rule: { eventPattern?: object; scheduleExpression?: string; eventBusName?: string; description: string },
  ): void {
    const created = new CloudwatchEventRule(this, id, {
      name: `${this.node.id}-${id}`,
      description: rule.description,
      ...(rule.eventBusName && { eventBusName: rule.eventBusName }),
      ...(rule.eventPattern && { eventPattern: JSON.stringify(rule.eventPattern) }),
      ...(rule.scheduleExpression && { scheduleExpression: rule.scheduleExpression }),
    });
    new CloudwatchEventTarget(this, `${id}-target`, {
      rule: created.name,
      ...(rule.eventBusName && { eventBusName: rule.eventBusName }),
      arn: target.arn,
      retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 24 * 3600 },
    });
    new LambdaPermission(this, `${id}-permission`, {
      functionName: target.functionName,
      action: "lambda:InvokeFunction",
      principal: "events.amazonaws.com",
      sourceArn: created.arn,
    });
  }
}
