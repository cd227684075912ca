import { z } from "zod";
import { parseInput } from "./parse-input";
import { RunState } from "./run-state";

/** Container name of the flow in every task definition; its exit code is the flow's. */
export const FLOW_CONTAINER_NAME = "flow";
export const RUN_ID_ENV = "DATA_FLOWS_RUN_ID";
export const ATTEMPT_ENV = "DATA_FLOWS_ATTEMPT";

const keyValue = z.looseObject({ name: z.string(), value: z.string().optional() });

const container = z.looseObject({
  name: z.string(),
  lastStatus: z.string().optional(),
  exitCode: z.number().int().optional(),
  reason: z.string().optional(),
});

const detail = z.looseObject({
  taskArn: z.string().min(1),
  clusterArn: z.string().min(1),
  lastStatus: z.string().min(1),
  desiredStatus: z.string().optional(),
  version: z.number().int().nonnegative(),
  containers: z.array(container).default([]),
  overrides: z
    .looseObject({
      containerOverrides: z
        .array(z.looseObject({ name: z.string().optional(), environment: z.array(keyValue).optional() }))
        .optional(),
    })
    .optional(),
  group: z.string().optional(),
  taskDefinitionArn: z.string().optional(),
  stopCode: z.string().optional(),
  stoppedReason: z.string().optional(),
  startedAt: z.string().optional(),
  stoppedAt: z.string().optional(),
  createdAt: z.string().optional(),
});

/** The EventBridge "ECS Task State Change" event, parsed leniently: unknown fields and stop codes pass through. */
export const taskStateChangeSchema = z.looseObject({
  id: z.string(),
  "detail-type": z.literal("ECS Task State Change"),
  source: z.literal("aws.ecs"),
  time: z.string(),
  region: z.string().optional(),
  account: z.string().optional(),
  detail,
});
export type TaskStateChange = z.infer<typeof taskStateChangeSchema>;

/** An event that is not a well-formed ECS Task State Change; it is rejected so the platform dead-letters it. */
export class MalformedEventError extends Error {
  override name = "MalformedEventError";
}

export function parseTaskStateChange(event: unknown): TaskStateChange {
  return parseInput(
    taskStateChangeSchema,
    event,
    (problems) => new MalformedEventError(`not an ECS Task State Change event: ${problems}`),
  );
}

/** The run and attempt a task belongs to, from the environment overrides the launcher put on it. */
export function runReferenceOf(event: TaskStateChange): { runId: string; attempt: number } | undefined {
  const overrides = event.detail.overrides?.containerOverrides ?? [];
  const environment = overrides.flatMap((override) => override.environment ?? []);
  const runId = environment.find((entry) => entry.name === RUN_ID_ENV)?.value;
  const attempt = Number(environment.find((entry) => entry.name === ATTEMPT_ENV)?.value);
  if (!runId || !Number.isInteger(attempt) || attempt < 1) return undefined;
  return { runId, attempt };
}

/** What a task's state means for its run. */
export interface TaskOutcome {
  state: RunState;
  exitCode?: number;
  stopCode?: string;
  reason?: string;
}

const STARTING_STATUSES = new Set(["PROVISIONING", "PENDING", "ACTIVATING"]);

/**
 * The run state a task's state implies, or undefined when it implies no change (DEACTIVATING, STOPPING and
 * DEPROVISIONING only announce the STOPPED that follows; unknown statuses are left alone).
 * A STOPPED task succeeded only if it has containers and every one of them exited 0: a missing exit code (a task
 * that never started, a container killed before it reported) is never success.
 */
export function outcomeOf(event: TaskStateChange): TaskOutcome | undefined {
  const { lastStatus } = event.detail;
  if (STARTING_STATUSES.has(lastStatus)) return { state: RunState.STARTING };
  if (lastStatus === "RUNNING") return { state: RunState.RUNNING };
  if (lastStatus !== "STOPPED") return undefined;

  return stoppedOutcome(event.detail);
}

/** What a stopped task means for its run: shared by ECS events and the reaper's DescribeTasks reconciliation. */
export function stoppedOutcome(task: {
  containers: readonly { name: string; exitCode?: number; reason?: string }[];
  stopCode?: string;
  stoppedReason?: string;
}): TaskOutcome {
  const { containers, stopCode } = task;
  const exitCode = flowExitCode(containers);
  const facts = { exitCode, stopCode, reason: stopReason(task) };
  if (stopCode === "UserInitiated") return { ...facts, state: RunState.CANCELLED };
  const succeeded = containers.length > 0 && containers.every((c) => c.exitCode === 0);
  if (succeeded) return { ...facts, state: RunState.SUCCEEDED };
  return { ...facts, state: RunState.FAILED };
}

function flowExitCode(containers: readonly { name: string; exitCode?: number }[]): number | undefined {
  const flow = containers.find((c) => c.name === FLOW_CONTAINER_NAME) ?? containers[0];
  return flow?.exitCode;
}

/** The most specific reason ECS gave: a container's own reason (e.g. OutOfMemoryError) beats the task's. */
function stopReason(task: Parameters<typeof stoppedOutcome>[0]): string | undefined {
  const containerReason = task.containers.find((c) => c.reason)?.reason;
  const taskReason = task.stoppedReason;
  if (containerReason && taskReason && containerReason !== taskReason) return `${taskReason}: ${containerReason}`;
  return containerReason ?? taskReason;
}

/**
 * An ECS Task State Change event rebuilt from a DescribeTasks answer, for a stop whose event never arrived. Without a
 * version from ECS it ranks after every real event of the task.
 */
export function taskStateChangeFromStatus(
  run: { runId: string; attempt: number },
  taskArn: string,
  clusterArn: string,
  status: {
    lastStatus: string;
    version?: number;
    stopCode?: string;
    stoppedReason?: string;
    containers: { name: string; exitCode?: number; reason?: string }[];
  },
): TaskStateChange {
  return {
    id: `reconciled:${taskArn}`,
    "detail-type": "ECS Task State Change",
    source: "aws.ecs",
    time: new Date(0).toISOString(),
    detail: {
      taskArn,
      clusterArn,
      lastStatus: status.lastStatus,
      version: status.version ?? Number.MAX_SAFE_INTEGER,
      containers: status.containers,
      overrides: {
        containerOverrides: [
          {
            name: FLOW_CONTAINER_NAME,
            environment: [
              { name: RUN_ID_ENV, value: run.runId },
              { name: ATTEMPT_ENV, value: String(run.attempt) },
            ],
          },
        ],
      },
      ...(status.stopCode !== undefined && { stopCode: status.stopCode }),
      ...(status.stoppedReason !== undefined && { stoppedReason: status.stoppedReason }),
    },
  };
}
