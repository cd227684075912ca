import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { ECSClient } from "@aws-sdk/client-ecs";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { SSMClient } from "@aws-sdk/client-ssm";
import type { Logger } from "@aws-lambda-powertools/logger";
import { SSMProvider } from "@aws-lambda-powertools/parameters/ssm";
import * as z from "zod";
import type { ControlPlaneFunctionName } from "../../contracts/control-plane";
import { FunctionEnv } from "../../contracts/control-plane";
import { environmentNames } from "../../contracts/resource-names";
import { loadRegistry } from "../../flows/index";
import { CloudWatchTaskLogs } from "../adapters/cloudwatch-task-logs";
import { createDocumentClient } from "../adapters/dynamo-client";
import { EcsTaskControl } from "../adapters/ecs-task-control";
import { EcsTaskLauncher } from "../adapters/ecs-task-launcher";
import { EventBridgePublisher } from "../adapters/eventbridge-publisher";
import type { AwsAdapter, AwsCall } from "../adapters/iam-contract";
import { AWS_CALLS } from "../adapters/iam-contract";
import { LambdaLaunchQueue } from "../adapters/lambda-launch-queue";
import type { RunsTableStores } from "../adapters/runs-table-stores";
import { runsTableStores } from "../adapters/runs-table-stores";
import { SchedulerRetries } from "../adapters/scheduler-retries";
import { randomNonces } from "../adapters/random-nonces";
import { SlackWebhookNotifier } from "../adapters/slack-webhook-notifier";
import { ssmSlackWebhook } from "../adapters/ssm-slack-webhook";
import type { ControlPlanePorts, ControlPlaneSettings } from "../composition-root";
import { dependenciesOf } from "../composition-root";
import { readConfig } from "./function-config";
import { once } from "../lazy";

/** The function being built, as Lambda describes it on the first invocation. */
export interface AwsFunctionContext {
  name: ControlPlaneFunctionName;
  /** `context.invokedFunctionArn`: the launcher targets its own retries with it. */
  functionArn: string;
  logger: Logger;
}

type Env = Record<string, string | undefined>;

/** An environment variable's value checked where it enters, by kind. */
const text = z.string().min(1);
const list = text.transform((value) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean),
);
const positiveInteger = z.coerce.number().int().positive();

/** Variables the Lambda runtime sets itself; the stack never does (they are reserved). */
export const RUNTIME_VARIABLES = ["AWS_REGION"] as const;

const names = { [FunctionEnv.environment]: text, [FunctionEnv.ssmEnvironment]: text };
const runsTable = { [FunctionEnv.runsTableName]: text, [FunctionEnv.runRetentionDays]: positiveInteger };
const retrySchedules = {
  [FunctionEnv.retryScheduleGroup]: text,
  [FunctionEnv.retryRoleArn]: text,
  [FunctionEnv.retryDeadLetterArn]: text,
};

/**
 * How one port is made in AWS: the variables it reads (per function), the adapter built from them, and that adapter's
 * name in the IAM contract (`lambdas/adapters/iam-contract.ts`) when it calls AWS.
 */
interface AwsFactory<T> {
  env(name: ControlPlaneFunctionName): z.ZodRawShape;
  build(config: unknown, context: AwsFunctionContext): T;
  adapter?: AwsAdapter;
}

function factory<S extends z.ZodRawShape, T>(
  env: S | ((name: ControlPlaneFunctionName) => S),
  build: (config: z.output<z.ZodObject<S>>, context: AwsFunctionContext) => T,
  adapter?: AwsAdapter,
): AwsFactory<T> {
  return {
    env: (name) => (typeof env === "function" ? env(name) : env),
    build: build as AwsFactory<T>["build"],
    ...(adapter && { adapter }),
  };
}

/** SDK clients, made once per container and shared by the adapters that need them. */
const clients = {
  dynamo: once(() => createDocumentClient()),
  ecs: once(() => new ECSClient({})),
  events: once(() => new EventBridgeClient({})),
};

/**
 * The runs table's four stores: built with the first of their ports a handler uses, then shared by the others. One
 * set per table: a container has one table, the bench builds functions for a new table per scenario.
 */
const runsTables = new Map<string, RunsTableStores>();
function runsTableOf(c: z.output<z.ZodObject<typeof runsTable>>): RunsTableStores {
  const key = `${c.RUNS_TABLE_NAME} ${c.RUN_RETENTION_DAYS}`;
  const stores =
    runsTables.get(key) ??
    runsTableStores({
      client: clients.dynamo(),
      tableName: c.RUNS_TABLE_NAME,
      retentionDays: c.RUN_RETENTION_DAYS,
      now: () => new Date(),
    });
  runsTables.set(key, stores);
  return stores;
}

const PORTS: { [K in keyof ControlPlanePorts]: AwsFactory<ControlPlanePorts[K]> } = {
  registry: factory({}, () => loadRegistry()),
  runs: factory(runsTable, (c) => runsTableOf(c).runs, "DynamoRunStore"),
  flowState: factory(runsTable, (c) => runsTableOf(c).flowState, "DynamoFlowState"),
  backfills: factory(runsTable, (c) => runsTableOf(c).backfills, "DynamoBackfillStore"),
  markers: factory(runsTable, (c) => runsTableOf(c).markers, "DynamoAlertMarkers"),
  tasks: factory(
    {
      ...names,
      [FunctionEnv.clusterArn]: text,
      [FunctionEnv.subnetIds]: list,
      [FunctionEnv.securityGroupIds]: list,
    },
    (c) =>
      new EcsTaskLauncher({
        client: clients.ecs(),
        clusterArn: c.CLUSTER_ARN,
        subnetIds: c.SUBNET_IDS,
        securityGroupIds: c.SECURITY_GROUP_IDS,
        names: environmentNames(c.DATA_FLOWS_ENVIRONMENT, c.DATA_FLOWS_SSM_ENVIRONMENT),
      }),
    "EcsTaskLauncher",
  ),
  taskControl: factory(
    { [FunctionEnv.clusterArn]: text },
    (c) => new EcsTaskControl({ client: clients.ecs(), clusterArn: c.CLUSTER_ARN }),
    "EcsTaskControl",
  ),
  events: factory(
    { [FunctionEnv.eventBusName]: text },
    (c) => new EventBridgePublisher(clients.events(), c.EVENT_BUS_NAME),
    "EventBridgePublisher",
  ),
  retries: factory(
    // The launcher schedules retries of itself; it learns its ARN from its invocation (the stack cannot tell a
    // function its own ARN without a cycle). Every other function is told the launcher's.
    (name) => (name === "launcher" ? retrySchedules : { ...retrySchedules, [FunctionEnv.launcherArn]: text }),
    (c: z.output<z.ZodObject<typeof retrySchedules>> & { LAUNCHER_ARN?: string }, context) =>
      new SchedulerRetries({
        client: new SchedulerClient({}),
        groupName: c.RETRY_SCHEDULE_GROUP,
        roleArn: c.RETRY_ROLE_ARN,
        deadLetterArn: c.RETRY_DEAD_LETTER_ARN,
        launcherArn: c.LAUNCHER_ARN ?? unqualified(context.functionArn),
      }),
    "SchedulerRetries",
  ),
  launches: factory(
    { [FunctionEnv.launcherFunctionName]: text },
    (c) => new LambdaLaunchQueue({ client: new LambdaClient({}), functionName: c.LAUNCHER_FUNCTION_NAME }),
    "LambdaLaunchQueue",
  ),
  notifier: factory(
    { [FunctionEnv.slackWebhookParameter]: text },
    (c) =>
      new SlackWebhookNotifier({
        webhookUrl: ssmSlackWebhook(new SSMProvider({ awsSdkV3Client: new SSMClient({}) }), c.SLACK_WEBHOOK_PARAMETER),
        maxAttempts: 4,
        maxRetryAfterSeconds: 20,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        now: () => new Date(),
      }),
    "SlackWebhookNotifier",
  ),
  taskLogs: factory(
    { ...names, AWS_REGION: text },
    (c) =>
      new CloudWatchTaskLogs({
        client: new CloudWatchLogsClient({}),
        region: c.AWS_REGION,
        names: environmentNames(c.DATA_FLOWS_ENVIRONMENT, c.DATA_FLOWS_SSM_ENVIRONMENT),
      }),
    "CloudWatchTaskLogs",
  ),
  clock: factory({}, () => ({ now: () => new Date() })),
  nonces: factory({}, () => randomNonces),
  logger: factory({}, (_, context) => context.logger),
};

const SETTINGS: { [K in keyof ControlPlaneSettings]: AwsFactory<ControlPlaneSettings[K]> } = {
  environment: factory({ [FunctionEnv.environment]: text }, (c) => c.DATA_FLOWS_ENVIRONMENT),
  clusterArn: factory({ [FunctionEnv.clusterArn]: text }, (c) => c.CLUSTER_ARN),
  retryBaseDelaySeconds: factory(
    { [FunctionEnv.retryBaseDelaySeconds]: positiveInteger },
    (c) => c.RETRY_BASE_DELAY_SECONDS,
  ),
  operatorEntry: factory({}, () => "url" as const),
  reapLimits: factory({}, () => ({
    pageSize: 100,
    pendingGraceSeconds: 120,
    launchDeadlineSeconds: 15 * 60,
    silenceMinutes: 15,
    safetyMarginMs: 10_000,
  })),
};

/**
 * The environment a function reads at cold start: the variables of every port and setting its handler uses, as the
 * composition root wires it. The stack must set exactly these (a test holds it to that).
 */
export function functionConfigSchema(name: ControlPlaneFunctionName) {
  const used = dependenciesOf(name);
  const shape = Object.assign(
    {},
    ...used.ports.map((port) => PORTS[port].env(name)),
    ...used.settings.map((setting) => SETTINGS[setting].env(name)),
  ) as z.ZodRawShape;
  return z.object(shape);
}

/** Every AWS call a function makes: the calls of the adapters behind the ports its handler uses. */
export function awsCallsOf(name: ControlPlaneFunctionName): AwsCall[] {
  return dependenciesOf(name).ports.flatMap((port) => {
    const adapter = PORTS[port].adapter;
    return adapter ? [...AWS_CALLS[adapter]] : [];
  });
}

/** The AWS ports and settings of one function: each built on first use, from its own variables. */
export function awsPorts(env: Env, context: AwsFunctionContext) {
  return {
    ports: lazyRecord(PORTS, env, context) as ControlPlanePorts,
    settings: lazyRecord(SETTINGS, env, context) as ControlPlaneSettings,
  };
}

function lazyRecord<K extends string>(
  factories: Record<K, AwsFactory<unknown>>,
  env: Env,
  context: AwsFunctionContext,
): Record<K, unknown> {
  const record = {} as Record<K, unknown>;
  for (const key of Object.keys(factories) as K[]) {
    const built = once(() =>
      factories[key].build(readConfig(z.object(factories[key].env(context.name)), env), context),
    );
    Object.defineProperty(record, key, { get: built, enumerable: true });
  }
  return record;
}

/** `arn:aws:lambda:…:function:name:alias` → `arn:aws:lambda:…:function:name`. */
function unqualified(functionArn: string): string {
  return functionArn.split(":").slice(0, 7).join(":");
}
