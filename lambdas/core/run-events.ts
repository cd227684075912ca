import type { RunStateChanged } from "../../contracts/run-events";
import type { Run } from "./run";
import type { RunState } from "../../contracts/run-states";

/**
 * The event that announces a run's latest change, built from the run as stored after it; a success names the failed
 * run it recovers from, if any.
 */
export function announce(run: Run, from: RunState | null, recoversFrom?: string): RunStateChanged {
  const last = run.history[run.history.length - 1];
  return {
    runId: run.runId,
    flow: run.flow,
    trigger: run.trigger,
    from,
    to: run.state,
    attempt: run.attempt,
    maxAttempts: run.maxAttempts,
    at: last?.at ?? run.updatedAt,
    ...(run.taskArn !== undefined && { taskArn: run.taskArn }),
    ...(run.exitCode !== undefined && { exitCode: run.exitCode }),
    ...(run.stopCode !== undefined && { stopCode: run.stopCode }),
    ...(run.reason !== undefined && { reason: run.reason }),
    ...(recoversFrom !== undefined && { recoversFrom }),
    ...(run.pausedAt !== undefined && { pausedAt: run.pausedAt }),
  };
}
