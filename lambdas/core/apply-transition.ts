import type {
  FlowStateStore,
  RetryScheduler,
  RunEventPublisher,
  RunStore,
  TaskControl,
  TransitionRequest,
  TransitionResult,
} from "./ports";
import type { RetryCommand } from "../../contracts/launch-commands";
import type { Run } from "./run";
import { lockWaitsForTask } from "./overlap-lock";
import { failedRunBefore } from "./recovery";
import { announce } from "./run-events";
import { isTerminal, RunState } from "../../contracts/run-states";

export interface ChangeDeps {
  runs: RunStore;
  events: RunEventPublisher;
  /** Needed only to settle endings that stop a task (timeouts, cancels). */
  taskControl?: Pick<TaskControl, "stopTask">;
  /** Needed only to settle successes that commit the watermark their attempt proposed. */
  flowState?: Pick<FlowStateStore, "commitWatermark">;
  /** Needed only to settle failed attempts, whose retry is scheduled. */
  retries?: Pick<RetryScheduler, "schedule">;
}

/**
 * Applies one state change the way every component must: the conditional write first, then what it sets in motion
 * (see {@link completeChange}). State is written before any side effect another event could observe.
 */
export async function applyTransition(deps: ChangeDeps, request: TransitionRequest): Promise<TransitionResult> {
  const result = await deps.runs.transition(request);
  if (result.applied) await completeChange(deps, result.run, result.from);
  return result;
}

/**
 * What a written change sets in motion, derived from the run as stored, so any retry can do it again: stop the task
 * an ending asked to stop, commit the watermark a succeeded attempt proposed, schedule a failed attempt's retry,
 * announce the change, release the flow's lock when the run has ended, and mark the change's settlement paid. Each
 * step is idempotent; a failure leaves the settlement owed, for a redelivery, the next attempt or the reaper.
 */
export async function completeChange(deps: ChangeDeps, run: Run, from: RunState | null): Promise<void> {
  if (run.settlement?.stopTask && run.taskArn !== undefined) {
    if (!deps.taskControl)
      throw new Error(`${run.runId}: its ending asks to stop a task, and no task control is wired`);
    await deps.taskControl.stopTask(run.taskArn, `data-flows: ${run.reason ?? `run ended ${run.state}`}`);
  }
  const retry = owedRetry(run);
  if (retry) {
    if (!deps.retries) throw new Error(`${run.runId}: its failed attempt is owed a retry, and no retries are wired`);
    await deps.retries.schedule(retry.command, retry.at);
  }
  const proposal = committableWatermark(run);
  if (proposal) {
    if (!deps.flowState)
      throw new Error(`${run.runId}: it succeeded with a watermark to commit, and no flow state is wired`);
    // Before the announcement: whatever the success starts downstream sees the watermark it committed.
    await deps.flowState.commitWatermark(run.flow, {
      value: proposal.value,
      runId: run.runId,
      committedAt: run.endedAt ?? run.updatedAt,
    });
  }
  const recoversFrom = run.state === RunState.SUCCEEDED ? await failedRunBefore(deps.runs, run) : undefined;
  await deps.events.publish(announce(run, from, recoversFrom));
  // A task asked to stop may still be shutting down: its lock waits for it (see lockWaitsForTask).
  if (isTerminal(run.state) && run.holdsLock && !lockWaitsForTask(run))
    await deps.runs.releaseLock(run.flow, run.runId);
  if (run.settlement) await deps.runs.settle(run.runId, isTerminal(run.state));
}

/** The retry a failed attempt's settlement owes: the next attempt, at the time written with the failure. */
function owedRetry(run: Run): { command: RetryCommand; at: Date } | undefined {
  if (!run.settlement?.retry || run.state !== RunState.RETRYING || run.retryAt === undefined) return undefined;
  return {
    command: { kind: "retry", flow: run.flow, runId: run.runId, attempt: run.attempt + 1 },
    at: new Date(run.retryAt),
  };
}

/** The state a run's latest change came from, for announcing it again. */
export function previousState(run: Run): RunState | null {
  return run.history.at(-2)?.state ?? null;
}

/** The watermark a run commits: the one its succeeding attempt proposed (an earlier attempt's proposal never counts). */
export function committableWatermark(run: Run): { value: string } | undefined {
  if (run.state !== RunState.SUCCEEDED) return undefined;
  return run.proposedWatermark?.attempt === run.attempt ? run.proposedWatermark : undefined;
}
