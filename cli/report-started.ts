import type { FlowDefinition } from "../flows/registry/flow-definition";
import { RunState } from "../contracts/run-states";
import type { CliContext } from "./context";
import { EXIT } from "./context";
import type { Target } from "./local-target";
import { RunLogFollower } from "./log-follower";
import { followRun } from "./wait-for-run";

/**
 * What `run` and `rerun` print once the launcher started a run: the run, or with `--wait` each transition until it
 * ends (with `--logs`, its attempts' log lines too), exiting 1 unless it SUCCEEDED.
 */
export async function reportStarted(
  cli: CliContext,
  target: Target,
  started: { runId: string; state: string },
  flow: FlowDefinition,
  options: { wait?: boolean; logs?: boolean; json?: boolean },
): Promise<void> {
  if (!options.wait) {
    cli.print(options.json, started, () => [`started ${started.runId} (${started.state})`]);
    return;
  }
  if (!options.json) cli.io.out(`started ${started.runId}`);
  const logs = options.logs
    ? new RunLogFollower({
        reader: target.logs,
        runId: started.runId,
        flow: flow.name,
        attempt: 1,
        oneAttempt: false,
        now: cli.io.now,
        print: (line) => cli.io.out(options.json ? JSON.stringify(line) : `  │ ${line.message}`),
      })
    : undefined;
  const run = await followRun(cli, target.runs, {
    runId: started.runId,
    startedState: started.state,
    timeoutMinutes: flow.timeoutMinutes,
    resume: `show ${started.runId}`,
    pollMs: 250,
    onRead: async (current) => {
      await logs?.catchUp(current);
      return false;
    },
    onTransition: (entry) => {
      if (options.json) return;
      const reason = entry.state === RunState.SUCCEEDED ? "" : (entry.reason ?? "");
      const facts = [entry.exitCode !== undefined ? `exit ${entry.exitCode}` : "", reason].filter(Boolean);
      cli.io.out(`  ${entry.at.slice(11, 19)}  ${entry.state}${facts.length ? `  (${facts.join("; ")})` : ""}`);
    },
  });
  await logs?.finish(run, cli.io.sleep);
  if (logs && options.json) cli.io.out(JSON.stringify(run));
  else
    cli.print(options.json, run, () => [
      `${run.runId} ended ${run.state}${run.exitCode !== undefined ? ` with exit code ${run.exitCode}` : ""}`,
    ]);
  if (run.state !== RunState.SUCCEEDED) cli.exitWith(EXIT.runNotSucceeded);
}
