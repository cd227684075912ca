/**
 * What the control plane asks of AWS, call by call: every SDK command an adapter sends, with the IAM actions that
 * authorise it, the resource each acts on and the condition keys AWS sets on the request. The stacks' policies are
 * simulated against this table with AWS's own evaluation logic (tests/infra/iam-contract.test.ts), and a test fails
 * when an adapter sends a command the table does not list.
 *
 * Resources and condition values are named by kind; the tests resolve them to concrete ARNs per environment.
 */

/** What a request acts on. */
export type ResourceKind =
  | "runsTable"
  | "runsTableIndex"
  | "flowTaskDefinition"
  | "clusterTask"
  /** ListTasks is authorised on the cluster's container instances, even on Fargate (Service Authorization Reference). */
  | "clusterContainerInstance"
  | "flowExecutionRole"
  | "flowTaskRole"
  | "runEventBus"
  | "retrySchedule"
  | "schedulerRole"
  | "schedulerDeadLetters"
  | "launcherFunction"
  | "imageRepository"
  | "flowLogStream"
  | "slackWebhookParameter"
  | "flowSecretParameter"
  | "parameterKey"
  | "*";

/** A condition key's value on a request, by what it is. */
export type ContextKind =
  | "cluster"
  | "ecsTasksService"
  | "schedulerService"
  | "runTaskCreation"
  | "ssmService"
  | "callerAccount"
  /** A run item's partition key of the flow (`RUN#<flow>/…`): DynamoDB's `dynamodb:LeadingKeys`. */
  | "flowRunKey"
  /** The attributes a watermark proposal names: `dynamodb:Attributes`. */
  | "watermarkAttributes"
  | "noReturnValues"
  /** A function URL request's auth type: `AWS_IAM`. */
  | "iamAuthType"
  /** An InvokeFunction that came through the function's URL: `true`. */
  | "viaFunctionUrl";

/** One IAM authorisation a call needs. */
export interface IamRequirement {
  action: string;
  resource: ResourceKind;
  context?: Record<string, ContextKind>;
}

/** One SDK call. `sentBy` is the repository file that sends it, or the library that sends it for us. */
export interface AwsCall {
  command: string;
  sentBy: string;
  iam: IamRequirement[];
}

/** The adapters, by the name the AWS ports use for them (`lambdas/aws/aws-ports.ts`). */
export type AwsAdapter =
  | "DynamoRunStore"
  | "DynamoAlertMarkers"
  | "DynamoFlowState"
  | "DynamoBackfillStore"
  | "EcsTaskLauncher"
  | "EcsTaskControl"
  | "EventBridgePublisher"
  | "SchedulerRetries"
  | "LambdaLaunchQueue"
  | "SlackWebhookNotifier"
  | "CloudWatchTaskLogs";

const table = (iam: IamRequirement["action"]) => ({ action: iam, resource: "runsTable" as const });

export const AWS_CALLS: Readonly<Record<AwsAdapter, readonly AwsCall[]>> = {
  DynamoRunStore: [
    { command: "GetCommand", sentBy: "lambdas/adapters/dynamo-run-store.ts", iam: [table("dynamodb:GetItem")] },
    { command: "PutCommand", sentBy: "lambdas/adapters/dynamo-run-store.ts", iam: [table("dynamodb:PutItem")] },
    { command: "UpdateCommand", sentBy: "lambdas/adapters/dynamo-run-store.ts", iam: [table("dynamodb:UpdateItem")] },
    { command: "DeleteCommand", sentBy: "lambdas/adapters/dynamo-run-store.ts", iam: [table("dynamodb:DeleteItem")] },
    {
      command: "QueryCommand",
      sentBy: "lambdas/adapters/dynamo-run-store.ts",
      iam: [{ action: "dynamodb:Query", resource: "runsTableIndex" }],
    },
  ],
  DynamoAlertMarkers: [
    { command: "PutCommand", sentBy: "lambdas/adapters/dynamo-alert-markers.ts", iam: [table("dynamodb:PutItem")] },
    {
      command: "UpdateCommand",
      sentBy: "lambdas/adapters/dynamo-alert-markers.ts",
      iam: [table("dynamodb:UpdateItem")],
    },
    {
      command: "DeleteCommand",
      sentBy: "lambdas/adapters/dynamo-alert-markers.ts",
      iam: [table("dynamodb:DeleteItem")],
    },
  ],
  DynamoFlowState: [
    { command: "GetCommand", sentBy: "lambdas/adapters/dynamo-flow-state.ts", iam: [table("dynamodb:GetItem")] },
    { command: "PutCommand", sentBy: "lambdas/adapters/dynamo-flow-state.ts", iam: [table("dynamodb:PutItem")] },
    {
      command: "DeleteCommand",
      sentBy: "lambdas/adapters/dynamo-flow-state.ts",
      iam: [table("dynamodb:DeleteItem")],
    },
  ],
  DynamoBackfillStore: [
    { command: "GetCommand", sentBy: "lambdas/adapters/dynamo-backfill-store.ts", iam: [table("dynamodb:GetItem")] },
    { command: "PutCommand", sentBy: "lambdas/adapters/dynamo-backfill-store.ts", iam: [table("dynamodb:PutItem")] },
    {
      command: "UpdateCommand",
      sentBy: "lambdas/adapters/dynamo-backfill-store.ts",
      iam: [table("dynamodb:UpdateItem")],
    },
    {
      command: "QueryCommand",
      sentBy: "lambdas/adapters/dynamo-backfill-store.ts",
      iam: [{ action: "dynamodb:Query", resource: "runsTableIndex" }],
    },
  ],
  EcsTaskLauncher: [
    {
      command: "RunTaskCommand",
      sentBy: "lambdas/adapters/ecs-task-launcher.ts",
      iam: [
        { action: "ecs:RunTask", resource: "flowTaskDefinition", context: { "ecs:cluster": "cluster" } },
        // RunTask with `tags` also needs TagResource on the task it creates.
        { action: "ecs:TagResource", resource: "clusterTask", context: { "ecs:CreateAction": "runTaskCreation" } },
        // ECS assumes the task definition's roles: the caller must be allowed to pass them to ECS.
        {
          action: "iam:PassRole",
          resource: "flowExecutionRole",
          context: { "iam:PassedToService": "ecsTasksService" },
        },
        { action: "iam:PassRole", resource: "flowTaskRole", context: { "iam:PassedToService": "ecsTasksService" } },
      ],
    },
  ],
  EcsTaskControl: [
    {
      command: "StopTaskCommand",
      sentBy: "lambdas/adapters/ecs-task-control.ts",
      iam: [{ action: "ecs:StopTask", resource: "clusterTask", context: { "ecs:cluster": "cluster" } }],
    },
    {
      command: "DescribeTasksCommand",
      sentBy: "lambdas/adapters/ecs-task-control.ts",
      iam: [{ action: "ecs:DescribeTasks", resource: "clusterTask", context: { "ecs:cluster": "cluster" } }],
    },
    {
      command: "ListTasksCommand",
      sentBy: "lambdas/adapters/ecs-task-control.ts",
      iam: [{ action: "ecs:ListTasks", resource: "clusterContainerInstance", context: { "ecs:cluster": "cluster" } }],
    },
  ],
  EventBridgePublisher: [
    {
      command: "PutEventsCommand",
      sentBy: "lambdas/adapters/eventbridge-publisher.ts",
      iam: [{ action: "events:PutEvents", resource: "runEventBus" }],
    },
  ],
  SchedulerRetries: [
    {
      command: "CreateScheduleCommand",
      sentBy: "lambdas/adapters/scheduler-retries.ts",
      iam: [
        { action: "scheduler:CreateSchedule", resource: "retrySchedule" },
        // The schedule invokes the launcher as the scheduler role.
        { action: "iam:PassRole", resource: "schedulerRole", context: { "iam:PassedToService": "schedulerService" } },
      ],
    },
    {
      command: "DeleteScheduleCommand",
      sentBy: "lambdas/adapters/scheduler-retries.ts",
      iam: [{ action: "scheduler:DeleteSchedule", resource: "retrySchedule" }],
    },
  ],
  LambdaLaunchQueue: [
    {
      command: "InvokeCommand",
      sentBy: "lambdas/adapters/lambda-launch-queue.ts",
      iam: [{ action: "lambda:InvokeFunction", resource: "launcherFunction" }],
    },
  ],
  SlackWebhookNotifier: [
    {
      command: "GetParameterCommand",
      sentBy: "@aws-lambda-powertools/parameters (SSMProvider.get, from lambdas/adapters/ssm-slack-webhook.ts)",
      iam: [
        { action: "ssm:GetParameter", resource: "slackWebhookParameter" },
        {
          action: "kms:Decrypt",
          resource: "parameterKey",
          context: { "kms:ViaService": "ssmService" },
        },
      ],
    },
  ],
  CloudWatchTaskLogs: [
    {
      command: "GetLogEventsCommand",
      sentBy: "lambdas/adapters/cloudwatch-task-logs.ts",
      iam: [{ action: "logs:GetLogEvents", resource: "flowLogStream" }],
    },
  ],
};

/**
 * What ECS does with a flow's execution role ("Amazon ECS task execution IAM role" in the ECS developer guide): pull
 * the image, write the awslogs stream, and fetch the `secrets` the task definition names (each a SecureString
 * decrypted through SSM).
 */
export const EXECUTION_ROLE_CALLS: readonly IamRequirement[] = [
  { action: "ecr:GetAuthorizationToken", resource: "*" },
  { action: "ecr:BatchCheckLayerAvailability", resource: "imageRepository" },
  { action: "ecr:GetDownloadUrlForLayer", resource: "imageRepository" },
  { action: "ecr:BatchGetImage", resource: "imageRepository" },
  { action: "logs:CreateLogStream", resource: "flowLogStream" },
  { action: "logs:PutLogEvents", resource: "flowLogStream" },
];

/** Per declared secret, what ECS does with the execution role to inject it. */
export const SECRET_CALLS: readonly IamRequirement[] = [
  { action: "ssm:GetParameters", resource: "flowSecretParameter" },
  {
    action: "kms:Decrypt",
    resource: "parameterKey",
    context: { "kms:ViaService": "ssmService" },
  },
];

/**
 * What a flow that keeps a watermark does with its task role (`flows/runtime/dynamo-watermark-sink.ts`): write its
 * proposal, one attribute, on its own run's item.
 */
export const WATERMARK_TASK_CALLS: readonly IamRequirement[] = [
  {
    action: "dynamodb:UpdateItem",
    resource: "runsTable",
    context: {
      "dynamodb:LeadingKeys": "flowRunKey",
      "dynamodb:Attributes": "watermarkAttributes",
      "dynamodb:ReturnValues": "noReturnValues",
    },
  },
];

/** What the CLI and the page ask of AWS to look (`runs`, `show`, `logs`, `flows`, `backfill --status`, the page). */
export const VIEWER_CALLS: readonly IamRequirement[] = [
  { action: "dynamodb:GetItem", resource: "runsTable" },
  { action: "dynamodb:Query", resource: "runsTableIndex" },
  { action: "logs:GetLogEvents", resource: "flowLogStream" },
];

/**
 * What they ask besides to act (`run`, `rerun`, `cancel`, `pause`, `resume`, `backfill`): find the launcher's URL and
 * send it the command, IAM-signed (`cli/aws-target.ts`). A function URL authorises both actions (Lambda, since
 * October 2025), the second only as invoked through the URL.
 */
export const OPERATOR_CALLS: readonly IamRequirement[] = [
  { action: "lambda:GetFunctionUrlConfig", resource: "launcherFunction" },
  {
    action: "lambda:InvokeFunctionUrl",
    resource: "launcherFunction",
    context: { "lambda:FunctionUrlAuthType": "iamAuthType" },
  },
  {
    action: "lambda:InvokeFunction",
    resource: "launcherFunction",
    context: { "lambda:InvokedViaFunctionUrl": "viaFunctionUrl" },
  },
];

/** What EventBridge Scheduler does with the scheduler role: invoke the launcher, or dead-letter the invocation. */
export const SCHEDULER_ROLE_CALLS: readonly IamRequirement[] = [
  { action: "lambda:InvokeFunction", resource: "launcherFunction" },
  { action: "sqs:SendMessage", resource: "schedulerDeadLetters" },
];
