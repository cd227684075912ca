import { applyTransition, completeChange, previousState } from "./apply-transition";
import type { ChangeDeps } from "./apply-transition";
import { InvalidLaunchRequestError } from "./launch-command";
import type { Clock, RetryScheduler } from "./ports";
import type { Run } from "./run";
import { isTerminal, RunState } from "../../contracts/run-states";

export interface CancelRequest {
  runId: string;
  /** Who asked: the operator's name, recorded in the run's history. */
  requestedBy: string;
  reason?: string;
}

export type CancelOutcome = { status: "cancelled"; run: Run } | { status: "already-ended"; run: Run };

/** A run that keeps changing under a cancel this many times in a row is reported, not chased forever. */
const CANCEL_ATTEMPTS = 5;

/**
 * Ends a run CANCELLED, whatever it is doing. The ending is written first (with who and why), then its settlement
 * stops the task (ECS StopTask; locally SIGTERM), announces the change and frees the overlap lock. A cancelled run is
 * never retried: its task's STOPPED event finds it ended, a RETRYING run's next attempt is withdrawn (and would start
 * nothing if it fired), and a launch still in flight has its task stopped as a stray.
 */
export async function cancelRun(
  deps: ChangeDeps & { clock: Clock; retries: Pick<RetryScheduler, "cancel"> },
  request: CancelRequest,
): Promise<CancelOutcome> {
  for (let tries = 0; tries < CANCEL_ATTEMPTS; tries += 1) {
    const run = await deps.runs.get(request.runId);
    if (!run) throw new InvalidLaunchRequestError(`no run ${request.runId}`);
    if (isTerminal(run.state)) return { status: "already-ended", run };
    if (run.settlement) {
      // A failed attempt whose announcement is still owed: made before the cancel takes its place (its retry is owed
      // no more). The write below then holds only while nothing new is owed, so it never drops work it did not do.
      const { retry: _, ...owed } = run.settlement;
      await completeChange(deps, { ...run, settlement: owed }, previousState(run));
    }
    const at = deps.clock.now().toISOString();
    const reason = `cancelled by ${request.requestedBy}${request.reason ? `: ${request.reason}` : ""}`;
    const result = await applyTransition(deps, {
      runId: run.runId,
      attempt: run.attempt,
      to: RunState.CANCELLED,
      at,
      source: "cli",
      fields: { reason, endedAt: at },
      // Whatever task the run has as this write lands, not as it was read: the launcher may record one in between.
      settle: { stopTask: true },
      withoutSettlement: true,
    });
    if (result.applied) {
      if (run.state === RunState.RETRYING) {
        // Withdraw the next attempt's schedule. Should it fire all the same (the deletion raced it), it finds the run
        // ended and starts nothing: the withdrawal saves an invocation, it is not what keeps the run from retrying.
        await deps.retries.cancel({ kind: "retry", flow: run.flow, runId: run.runId, attempt: run.attempt + 1 });
      }
      return { status: "cancelled", run: result.run };
    }
    // The run moved between the read and the write (an ECS event, a retry): look again.
  }
  throw new Error(`${request.runId} kept changing while it was being cancelled; try again`);
}
