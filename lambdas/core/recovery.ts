import type { RunStore } from "./ports";
import type { Run } from "./run";
import { RunState } from "../../contracts/run-states";

/** Endings a later success of the same flow recovers from. */
const FAILED_ENDINGS: ReadonlySet<RunState> = new Set<RunState>([RunState.FAILED, RunState.TIMED_OUT, RunState.LOST]);
/** How many of the flow's latest runs are read to find the one before a success (SKIPPED ones are passed over). */
const LOOK_BACK = 5;

/**
 * The run a success recovers from: the flow's run before it (SKIPPED ones aside), when that one ended FAILED,
 * TIMED_OUT or LOST. Asked once, by whoever announces the success, so the alerter is invoked only for the successes
 * that have something to say.
 */
export async function failedRunBefore(runs: Pick<RunStore, "listByFlow">, success: Run): Promise<string | undefined> {
  const at = success.endedAt ?? success.updatedAt;
  const [previous] = (await runs.listByFlow(success.flow, { limit: LOOK_BACK })).filter(
    (run) => run.runId !== success.runId && run.createdAt <= at && run.state !== RunState.SKIPPED,
  );
  return previous && FAILED_ENDINGS.has(previous.state) ? previous.runId : undefined;
}
