import type { RunStore } from "../lambdas/core/ports";
import type { Run, RunTransition } from "../lambdas/core/run";
import { isTerminal } from "../lambdas/core/run-state";
import { CliError } from "./local-target";

export interface WaitOptions {
  runs: RunStore;
  runId: string;
  /** Give up after this long: the flow's timeout plus a margin. */
  timeoutMs: number;
  pollMs: number;
  onTransition: (entry: RunTransition) => void;
  sleep: (ms: number) => Promise<void>;
  now: () => Date;
}

/** Polls a run until it reaches a terminal state, reporting each history entry once, in order. */
export async function waitForRun(options: WaitOptions): Promise<Run> {
  const giveUpAt = options.now().getTime() + options.timeoutMs;
  let reported = 0;
  for (;;) {
    const run = await options.runs.get(options.runId);
    if (!run) throw new CliError(`run ${options.runId} disappeared from the runs table`);
    for (const entry of run.history.slice(reported)) options.onTransition(entry);
    reported = run.history.length;
    if (isTerminal(run.state)) return run;
    if (options.now().getTime() > giveUpAt) {
      throw new CliError(
        `gave up waiting for ${options.runId}: still ${run.state} after ${Math.round(options.timeoutMs / 1000)} s`,
      );
    }
    await options.sleep(options.pollMs);
  }
}
