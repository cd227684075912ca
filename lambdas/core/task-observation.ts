import type { RunReference } from "../../contracts/task-environment";
import { FLOW_CONTAINER_NAME } from "../../contracts/task-environment";
import { RunState } from "../../contracts/run-states";

/** One container of an observed task. */
export interface ContainerObservation {
  name: string;
  exitCode?: number;
  reason?: string;
}

/**
 * What was seen of one ECS task at one moment, whoever saw it: an EventBridge "ECS Task State Change" event or a
 * DescribeTasks answer. Both edges build this one shape, so the recorder treats a reconciled stop exactly like an
 * event.
 */
export interface TaskObservation {
  taskArn: string;
  clusterArn: string;
  /** The run and attempt the task belongs to, read from its container overrides; absent for a task we did not start. */
  run?: RunReference;
  /** ECS's `version` of the task: higher is newer. {@link UNVERSIONED} when the observer reported none. */
  version: number;
  lastStatus: string;
  containers: readonly ContainerObservation[];
  stopCode?: string;
  stoppedReason?: string;
  startedAt?: string;
  stoppedAt?: string;
}

/** The version of an observation that carries none: it ranks after every versioned event of the task. */
export const UNVERSIONED = Number.MAX_SAFE_INTEGER;

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
 */
export function outcomeOf(
  task: Pick<TaskObservation, "lastStatus" | "containers" | "stopCode" | "stoppedReason">,
): TaskOutcome | undefined {
  if (STARTING_STATUSES.has(task.lastStatus)) return { state: RunState.STARTING };
  if (task.lastStatus === "RUNNING") return { state: RunState.RUNNING };
  if (task.lastStatus !== "STOPPED") return undefined;
  return stoppedOutcome(task);
}

/**
 * What a stopped task means for its run. It succeeded only if it has containers and every one of them exited 0: a
 * missing exit code (a task that never started, a container killed before it reported) is never success.
 */
function stoppedOutcome(task: Pick<TaskObservation, "containers" | "stopCode" | "stoppedReason">): TaskOutcome {
  const { containers, stopCode } = task;
  const exitCode = flowExitCode(containers);
  const facts = { exitCode, stopCode, reason: stopReason(task) };
  if (stopCode === "UserInitiated") return { ...facts, state: RunState.CANCELLED };
  const succeeded = containers.length > 0 && containers.every((c) => c.exitCode === 0);
  if (succeeded) return { ...facts, state: RunState.SUCCEEDED };
  return { ...facts, state: RunState.FAILED };
}

function flowExitCode(containers: readonly ContainerObservation[]): number | undefined {
  const flow = containers.find((c) => c.name === FLOW_CONTAINER_NAME) ?? containers[0];
  return flow?.exitCode;
}

/** The most specific reason ECS gave: a container's own reason (e.g. OutOfMemoryError) beats the task's. */
function stopReason(task: Pick<TaskObservation, "containers" | "stoppedReason">): string | undefined {
  const containerReason = task.containers.find((c) => c.reason)?.reason;
  const taskReason = task.stoppedReason;
  if (containerReason && taskReason && containerReason !== taskReason) return `${taskReason}: ${containerReason}`;
  return containerReason ?? taskReason;
}
