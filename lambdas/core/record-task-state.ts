import { applyTransition, completeChange, previousState } from "./apply-transition";
import { classifyFailure } from "./classify-failure";
import type {
  Clock,
  FlowStateStore,
  RejectionReason,
  RetryScheduler,
  RunEventPublisher,
  RunStore,
  TaskControl,
} from "./ports";
import type { RetryOptions } from "./retry-policy";
import { attemptRecord, retryDecision } from "./retry-policy";
import { RunState } from "../../contracts/run-states";
import { lockWaitsForTask } from "./overlap-lock";
import { isStrayTask } from "./stray-task";
import type { TaskObservation, TaskOutcome } from "./task-observation";
import { outcomeOf } from "./task-observation";

export type IgnoredReason = RejectionReason | "other-cluster" | "not-a-run" | "no-state-change" | "stray-task-stopped";

export type RecordOutcome =
  | { status: "applied"; runId: string; attempt: number; from: RunState; to: RunState }
  | { status: "ignored"; reason: IgnoredReason; runId?: string; attempt?: number };

export interface RecordTaskStateDeps {
  runs: RunStore;
  events: RunEventPublisher;
  retries: RetryScheduler;
  /** Stops tasks that turn out to be strays (see {@link isStrayTask}). */
  taskControl: Pick<TaskControl, "stopTask">;
  /** Commits the watermark a succeeded attempt proposed. */
  flowState: Pick<FlowStateStore, "commitWatermark">;
  retryOptions: RetryOptions;
  clock: Clock;
  /** Only tasks of this cluster move runs; the EventBridge rule filters too, this keeps replays honest. */
  clusterArn: string;
}

/**
 * Moves a run according to one observation of its task (an ECS event, or a DescribeTasks answer for a stop whose event
 * was lost): applied, or ignored with a reason. A failed attempt with attempts left becomes RETRYING, and its next
 * attempt is scheduled after the backoff.
 */
export function createRecordTaskState(deps: RecordTaskStateDeps) {
  return async function recordTaskState(task: TaskObservation): Promise<RecordOutcome> {
    if (task.clusterArn !== deps.clusterArn) return { status: "ignored", reason: "other-cluster" };
    const reference = task.run;
    if (!reference) return { status: "ignored", reason: "not-a-run" };
    const outcome = outcomeOf(task);
    if (!outcome) return { status: "ignored", reason: "no-state-change", ...reference };

    const now = deps.clock.now();
    const at = now.toISOString();
    const ended = outcome.state !== RunState.STARTING && outcome.state !== RunState.RUNNING;
    const retry = outcome.state === RunState.FAILED ? await plannedRetry(deps, reference, outcome, now) : undefined;
    const result = await applyTransition(deps, {
      ...reference,
      to: retry ? RunState.RETRYING : outcome.state,
      at,
      source: "recorder",
      task: { taskArn: task.taskArn, version: task.version },
      fields: {
        ...(outcome.exitCode !== undefined && { exitCode: outcome.exitCode }),
        ...(outcome.stopCode !== undefined && { stopCode: outcome.stopCode }),
        ...(outcome.reason !== undefined && { reason: outcome.reason }),
        ...(task.startedAt !== undefined && { startedAt: task.startedAt }),
        ...(ended && { endedAt: task.stoppedAt ?? at }),
        ...(retry && { retryAt: retry.at.toISOString(), maxAttempts: retry.maxAttempts }),
      },
      // An ending's (and a failed attempt's) announcement is owed until made: the run stays where the reaper looks
      // until it is paid, because a stop observed by the reaper (its event lost) is never redelivered, and the next
      // attempt must not overtake a failed one unannounced.
      // A failed attempt's retry is owed with it, so whoever pays the settlement schedules it.
      ...((ended || retry) && { settle: retry ? { retry: true } : {} }),
    });
    if (!result.applied) {
      // A redelivery of the observation that made the latest change: do again what it set in motion (announce it,
      // release the lock), in case the first delivery failed after the write. Consumers are idempotent: the alerter
      // keeps one marker per alert, the lock release is conditional on the holder.
      if (result.reason === "duplicate" && result.run && result.run.taskVersion === task.version) {
        await completeChange(deps, result.run, previousState(result.run));
      }
      // The stop of a task an ending asked to stop (a cancel, a timeout): its flow's lock waited for this.
      if (ended && result.run?.holdsLock && result.run.taskArn === task.taskArn && lockWaitsForTask(result.run)) {
        await deps.runs.releaseLock(result.run.flow, result.run.runId);
      }
      if (!ended && result.run && isStrayTask(result.run, { taskArn: task.taskArn, ...reference })) {
        await deps.taskControl.stopTask(
          task.taskArn,
          `data-flows: stray task of ${reference.runId} attempt ${reference.attempt} (the run is at attempt ${result.run.attempt}, ${result.run.state})`,
        );
        return { status: "ignored", reason: "stray-task-stopped", ...reference };
      }
      return { status: "ignored", reason: result.reason, ...reference };
    }
    return { status: "applied", ...reference, from: result.from, to: result.run.state };
  };
}

/** The retry a failed attempt earns, judged against the run's attempt budget. */
async function plannedRetry(
  deps: RecordTaskStateDeps,
  reference: { runId: string; attempt: number },
  outcome: TaskOutcome,
  now: Date,
): Promise<{ at: Date; maxAttempts: number } | undefined> {
  const run = await deps.runs.get(reference.runId);
  if (!run || run.attempt !== reference.attempt) return undefined;
  const decision = retryDecision(classifyFailure(outcome), attemptRecord(run), deps.retryOptions);
  if (!decision.retry) return undefined;
  return { at: new Date(now.getTime() + decision.delaySeconds * 1000), maxAttempts: decision.maxAttempts };
}
