import { applyTransition } from "./apply-transition";
import { announce } from "./run-events";
import { classifyFailure } from "./classify-failure";
import type { Clock, RejectionReason, RetryScheduler, RunEventPublisher, RunStore } from "./ports";
import type { RetryOptions } from "./retry-policy";
import { retryDecision } from "./retry-policy";
import { RunState } from "./run-state";
import type { TaskObservation, TaskOutcome } from "./task-observation";
import { outcomeOf } from "./task-observation";

export type IgnoredReason = RejectionReason | "other-cluster" | "not-a-run" | "no-state-change";

export type RecordOutcome =
  | { status: "applied"; runId: string; attempt: number; from: RunState; to: RunState }
  | { status: "ignored"; reason: IgnoredReason; runId?: string; attempt?: number };

export interface RecordTaskStateDeps {
  runs: RunStore;
  events: RunEventPublisher;
  retries: RetryScheduler;
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
    });
    if (!result.applied) {
      // A redelivery of the observation that made the latest change: announce it again, in case the first
      // announcement was lost after the write (consumers are idempotent: the alerter keeps one marker per alert).
      if (result.reason === "duplicate" && result.run && result.run.taskVersion === task.version) {
        await deps.events.publish(announce(result.run, result.run.history.at(-2)?.state ?? null));
      }
      return { status: "ignored", reason: result.reason, ...reference };
    }
    if (retry) {
      await deps.retries.schedule(
        { kind: "retry", flow: result.run.flow, runId: reference.runId, attempt: reference.attempt + 1 },
        retry.at,
      );
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
  const decision = retryDecision(classifyFailure(outcome), reference.attempt, run.maxAttempts, deps.retryOptions);
  if (!decision.retry) return undefined;
  return { at: new Date(now.getTime() + decision.delaySeconds * 1000), maxAttempts: decision.maxAttempts };
}
