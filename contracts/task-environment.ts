/**
 * What a flow container receives from ECS, agreed between the stacks (task definitions), the launcher (RunTask
 * overrides), the recorder and reaper (reading overrides back from ECS), the local task runner and every flow runtime.
 */

/** The flow's container in every task definition; its exit code is the flow's. */
export const FLOW_CONTAINER_NAME = "flow";

/** Environment variable names a flow container sees. */
export const TaskEnv = {
  /** The flow's name (task definition). */
  flow: "DATA_FLOWS_FLOW",
  /** The environment's SSM segment, e.g. `Dev` (task definition). */
  environment: "DATA_FLOWS_ENV",
  /** Seconds between SIGTERM and SIGKILL (task definition). */
  stopTimeoutSeconds: "DATA_FLOWS_STOP_TIMEOUT_SECONDS",
  /** The run this task is an attempt of (RunTask override). */
  runId: "DATA_FLOWS_RUN_ID",
  /** Which attempt, from 1 (RunTask override). */
  attempt: "DATA_FLOWS_ATTEMPT",
  /** The run's params as a JSON object of strings (RunTask override). */
  params: "DATA_FLOWS_PARAMS",
  /** The start of the run's data interval, ISO 8601 UTC (RunTask override). */
  intervalStart: "DATA_FLOWS_INTERVAL_START",
  /** The end of the run's data interval, exclusive, ISO 8601 UTC (RunTask override). */
  intervalEnd: "DATA_FLOWS_INTERVAL_END",
  /** The flow's watermark as the attempt started, when it has one (RunTask override). */
  watermark: "DATA_FLOWS_WATERMARK",
  /**
   * The names of the secrets the flow declares, comma-separated (task definition): each is also a variable of its own,
   * holding the value ECS read from SSM. A runtime refuses to start the flow when one is missing (exit 78).
   */
  secretNames: "DATA_FLOWS_SECRETS",
  /**
   * The external hosts the flow's definition lists (`allowedHosts`), comma-separated (task definition): what a
   * runtime outside this repository's TypeScript (the Python helper) checks a URL from params against.
   */
  allowedHosts: "DATA_FLOWS_ALLOWED_HOSTS",
  /** The runs table, where the container writes its watermark proposal (task definition). */
  runsTable: "DATA_FLOWS_RUNS_TABLE",
  /** The level a flow logs at (DEBUG, INFO, WARN, ERROR, SILENT): Powertools' variable, which the Python helper reads too. */
  logLevel: "POWERTOOLS_LOG_LEVEL",
  /** Locally only: the DynamoDB endpoint of `npm start`'s dynalite (in AWS the SDK finds DynamoDB itself). */
  dynamodbEndpoint: "DATA_FLOWS_DYNAMODB_ENDPOINT",
} as const;

/**
 * How long ECS waits between SIGTERM and SIGKILL: 5 % of the flow's timeout, at least 30 s and at most Fargate's
 * 120 s, so a long dbt job has time to cancel its remote run and a short flow is not kept waiting.
 */
export function stopTimeoutSeconds(timeoutMinutes: number): number {
  return Math.min(120, Math.max(30, Math.round(timeoutMinutes * 60 * 0.05)));
}

/** What a flow's task definition says of its container, as far as the container's environment shows it. */
export interface FlowTaskFacts {
  flow: string;
  /** The environment's SSM segment, e.g. `Dev`. */
  ssmEnvironment: string;
  /** The task definition's `stopTimeout`. */
  stopTimeoutSeconds: number;
  /** The secrets it declares (each also a variable of its own, its value read from SSM). */
  secrets: readonly string[];
  allowedHosts: readonly string[];
  /** For a flow that keeps a watermark: where its container writes its proposal. */
  watermark?: {
    runsTable: string;
    /** In AWS, the region the SDK finds DynamoDB in. */
    region?: string;
    /** Locally, `npm start`'s dynalite. */
    endpoint?: string;
  };
}

/**
 * The variables a flow's task definition sets in its container, in ECS's shape: the stack writes them into every task
 * definition and the local runner gives a flow process the same (each attempt's RunTask overrides come on top).
 */
export function taskDefinitionEnvironment(task: FlowTaskFacts): { name: string; value: string }[] {
  const { watermark } = task;
  return [
    { name: TaskEnv.flow, value: task.flow },
    { name: TaskEnv.environment, value: task.ssmEnvironment },
    { name: TaskEnv.stopTimeoutSeconds, value: String(task.stopTimeoutSeconds) },
    { name: TaskEnv.secretNames, value: task.secrets.join(",") },
    { name: TaskEnv.allowedHosts, value: task.allowedHosts.join(",") },
    ...(watermark
      ? [
          { name: TaskEnv.runsTable, value: watermark.runsTable },
          ...(watermark.region !== undefined ? [{ name: "AWS_REGION", value: watermark.region }] : []),
          ...(watermark.endpoint !== undefined ? [{ name: TaskEnv.dynamodbEndpoint, value: watermark.endpoint }] : []),
        ]
      : []),
  ];
}

/** The longest watermark a flow may propose: it reaches the next attempt as an override, within RunTask's limit. */
export const MAX_WATERMARK_CHARACTERS = 1024;

/** Which attempt of which run a task is. */
export interface RunReference {
  runId: string;
  attempt: number;
}

/** One `{ name, value }` of a container's environment, as ECS reports it (the SDK's types leave both optional). */
export interface EnvironmentEntry {
  name?: string;
  value?: string;
}

/**
 * The container environment overrides of one attempt's task. They appear in every ECS event and DescribeTasks answer
 * (which is how a task is matched to its run before the launcher saved its ARN), so they must never hold a secret.
 */
export function runOverrides(
  run: RunReference & {
    params: Readonly<Record<string, string>>;
    dataInterval: { start: string; end: string };
    watermark?: string;
  },
): { name: string; value: string }[] {
  return [
    { name: TaskEnv.runId, value: run.runId },
    { name: TaskEnv.attempt, value: String(run.attempt) },
    { name: TaskEnv.params, value: JSON.stringify(run.params) },
    { name: TaskEnv.intervalStart, value: run.dataInterval.start },
    { name: TaskEnv.intervalEnd, value: run.dataInterval.end },
    ...(run.watermark !== undefined ? [{ name: TaskEnv.watermark, value: run.watermark }] : []),
  ];
}

const ATTEMPT_PATTERN = /^[1-9][0-9]{0,5}$/;

/** Reads an attempt number exactly as the launcher wrote it (`"2"`), refusing `" 0x1 "`, `"1.0"` and the like. */
export function parseAttempt(value: string | undefined): number | undefined {
  return value !== undefined && ATTEMPT_PATTERN.test(value) ? Number(value) : undefined;
}

/** The run a task belongs to, read back from its container overrides; undefined for a task data-flows did not start. */
export function runReferenceOf(
  containerOverrides: readonly { name?: string; environment?: readonly EnvironmentEntry[] }[] | undefined,
): RunReference | undefined {
  const flow = containerOverrides?.find((override) => override.name === FLOW_CONTAINER_NAME) ?? containerOverrides?.[0];
  const environment = flow?.environment ?? [];
  const runId = environment.find((entry) => entry.name === TaskEnv.runId)?.value;
  const attempt = parseAttempt(environment.find((entry) => entry.name === TaskEnv.attempt)?.value);
  return runId && attempt !== undefined ? { runId, attempt } : undefined;
}
