import type { RunStore } from "../lambdas/core/ports";
import type { Run, RunTransition } from "../lambdas/core/run";
import { isTerminal } from "../contracts/run-states";
import type { CliContext } from "./context";
import { CliError, isUnreachable } from "./errors";

/**
 * How long a follower waits for a run that has stopped changing past its attempt's deadline (or its due retry): the
 * reaper (every 5 minutes in AWS, 15 s locally) ends a run that overstays its deadline, so this is one pass and a
 * margin.
 */
const QUIET_GRACE_MS = 10 * 60_000;
/** The longest backoff before a retry (`lambdas/core/retry-policy.ts` caps it at 15 minutes). */
const MAX_RETRY_BACKOFF_MINUTES = 15;

/** The longest a run can legitimately take: each attempt to its timeout, the longest backoff before each, a margin. */
function followBudgetMs(timeoutMinutes: number, attempts: number): number {
  return (attempts * (timeoutMinutes + MAX_RETRY_BACKOFF_MINUTES) + 15) * 60_000;
}

export interface FollowOptions extends Pick<
  WaitOptions,
  "runId" | "startedState" | "pollMs" | "onTransition" | "onRead"
> {
  /** The flow's timeout, when the registry knows the flow: it bounds how long following can take. */
  timeoutMinutes: number | undefined;
  /** The command (after `data-flows`) that picks up where following stopped, e.g. `show <runId>`. */
  resume: string;
}

/**
 * Follows a run in the environment chosen with `--env`, as `run --wait` and `logs --follow` do: a control plane that
 * stops, or a run that stops moving, is said in one line with the command to run next.
 */
export function followRun(cli: CliContext, runs: RunStore, options: FollowOptions): Promise<Run> {
  const env = cli.env();
  const { runId, timeoutMinutes, resume } = options;
  return waitForRun({
    ...options,
    runs,
    quietGraceMs: QUIET_GRACE_MS,
    capMs: (current) => (timeoutMinutes === undefined ? Infinity : followBudgetMs(timeoutMinutes, current.maxAttempts)),
    lostContact: (lastState) =>
      env === "local"
        ? `the local control plane stopped while following ${runId}; it was ${lastState} when last seen; start it ` +
          `again and run \`data-flows ${resume}\``
        : `lost contact with ${env} while following ${runId}; it was ${lastState} when last seen; run ` +
          `\`data-flows --env ${env} ${resume}\``,
    sleep: cli.io.sleep,
    now: cli.io.now,
  });
}

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
  onTransition?: (entry: RunTransition) => void;
  /**
   * Given each read of the run, before its history is reported and its end checked (so a log read here comes before
   * the change that ended it); resolving true stops following there, with that run.
   */
  onRead?: (run: Run) => Promise<boolean>;
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
    const stop = (await options.onRead?.(run)) ?? false;
    for (const entry of run.history.slice(reported)) options.onTransition?.(entry);
    reported = run.history.length;
    lastState = run.state;
    if (stop || isTerminal(run.state)) return run;
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
