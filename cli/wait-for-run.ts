import type { RunStore } from "../lambdas/core/ports";
import type { Run, RunTransition } from "../lambdas/core/run";
import { isTerminal } from "../lambdas/core/run-state";
import { CliError, isUnreachable } from "./errors";

export interface WaitOptions {
  runs: RunStore;
  runId: string;
  /** The state the launcher answered with: what the run was "when last seen" until it is first read. */
  startedState: string;
  /**
   * How long a run may go without any change once its attempt's deadline (or its due retry) has passed, before the
   * follower gives up: the reaper's interval and a margin, since the reaper ends a run that overstays its deadline.
   */
  quietGraceMs: number;
  /** The longest the follower waits in all, given the run as last read (its attempts can grow). */
  capMs: (run: Run) => number;
  pollMs: number;
  onTransition: (entry: RunTransition) => void;
  /** What to say when the runs table stops answering while the run is followed, given the state last seen. */
  lostContact: (lastState: string) => string;
  sleep: (ms: number) => Promise<void>;
  now: () => Date;
}

/**
 * Polls a run until it reaches a terminal state, reporting each history entry once, in order. It waits as long as
 * the run is alive: changing, within its attempt's deadline, or RETRYING with its retry still due. A run that has
 * stopped moving past all of those, or one that exceeds `capMs`, is given up on, in one line.
 */
export async function waitForRun(options: WaitOptions): Promise<Run> {
  const startedAt = options.now().getTime();
  let reported = 0;
  let lastState = options.startedState;
  let lastUpdatedAt: string | undefined;
  let lastChangeSeenAt = startedAt;
  for (;;) {
    let run: Run | undefined;
    try {
      run = await options.runs.get(options.runId);
    } catch (error) {
      if (isUnreachable(error)) throw new CliError(options.lostContact(lastState));
      throw error;
    }
    if (!run) throw new CliError(`run ${options.runId} disappeared from the runs table`);
    for (const entry of run.history.slice(reported)) options.onTransition(entry);
    reported = run.history.length;
    lastState = run.state;
    if (isTerminal(run.state)) return run;
    const now = options.now().getTime();
    if (run.updatedAt !== lastUpdatedAt) {
      lastUpdatedAt = run.updatedAt;
      lastChangeSeenAt = now;
    }
    const expectedBy = Math.max(lastChangeSeenAt, instant(run.deadline), instant(run.retryAt)) + options.quietGraceMs;
    if (now > expectedBy) {
      throw new CliError(
        `gave up waiting for ${options.runId}: still ${run.state}, unchanged since ${run.updatedAt} and past its ` +
          `deadline ${run.deadline}; \`data-flows show ${options.runId}\` shows where it stopped`,
      );
    }
    if (now - startedAt > options.capMs(run)) {
      throw new CliError(
        `gave up waiting for ${options.runId}: still ${run.state} after ${Math.round((now - startedAt) / 60_000)} ` +
          `minutes, longer than its ${run.maxAttempts} attempts can take`,
      );
    }
    await options.sleep(options.pollMs);
  }
}

function instant(iso: string | undefined): number {
  const parsed = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(parsed) ? 0 : parsed;
}
