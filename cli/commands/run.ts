import { collectParam } from "../arguments";
import { RunState } from "../../lambdas/core/run-state";
import { EXIT } from "../context";
import { waitForRun } from "../wait-for-run";
import type { Command } from "commander";
import type { CliContext } from "../context";

/**
 * How long `run --wait` waits for a run that has stopped changing past its attempt's deadline (or its due retry):
 * the reaper (every 5 minutes in AWS, 15 s locally) ends a run that overstays its deadline, so this is one pass and a
 * margin.
 */
const QUIET_GRACE_MS = 10 * 60_000;
/** The longest backoff before a retry (`lambdas/core/retry-policy.ts` caps it at 15 minutes). */
const MAX_RETRY_BACKOFF_MINUTES = 15;

/** The longest a run can legitimately take: each attempt to its timeout, the longest backoff before each, a margin. */
function followBudgetMs(timeoutMinutes: number, attempts: number): number {
  return (attempts * (timeoutMinutes + MAX_RETRY_BACKOFF_MINUTES) + 15) * 60_000;
}

/** `run <flow>`: starts a run now, and with `--wait` follows it to its end. */
export function registerRun(program: Command, cli: CliContext): void {
  program
    .command("run")
    .description("start a run of a flow now")
    .argument("<flow>", "flow name")
    .option("-p, --param <key=value>", "a run parameter (repeatable), overriding the flow's default", collectParam, {})
    .option("--wait", "follow the run until it ends; exit 1 unless it SUCCEEDED")
    .option("--json", "print JSON")
    .action(async (flowName: string, options: { param: Record<string, string>; wait?: boolean; json?: boolean }) => {
      const flow = cli.registry.require(flowName);
      const target = cli.connect();
      const started = (await target.invokeLauncher({ kind: "manual", flow: flow.name, params: options.param })) as {
        runId: string;
        state: string;
      };
      if (!options.wait) {
        cli.print(options.json, started, () => [`started ${started.runId} (${started.state})`]);
        return;
      }
      if (!options.json) cli.io.out(`started ${started.runId}`);
      const env = cli.env();
      const run = await waitForRun({
        runs: target.runs,
        runId: started.runId,
        startedState: started.state,
        quietGraceMs: QUIET_GRACE_MS,
        capMs: (current) => followBudgetMs(flow.timeoutMinutes, current.maxAttempts),
        lostContact: (lastState) =>
          env === "local"
            ? `the local control plane stopped while following ${started.runId}; it was ${lastState} when last ` +
              `seen; start it again and run \`data-flows show ${started.runId}\``
            : `lost contact with ${env} while following ${started.runId}; it was ${lastState} when last seen; ` +
              `run \`data-flows --env ${env} show ${started.runId}\``,
        pollMs: 250,
        sleep: cli.io.sleep,
        now: cli.io.now,
        onTransition: (entry) => {
          if (options.json) return;
          const reason = entry.state === RunState.SUCCEEDED ? "" : (entry.reason ?? "");
          const facts = [entry.exitCode !== undefined ? `exit ${entry.exitCode}` : "", reason].filter(Boolean);
          cli.io.out(`  ${entry.at.slice(11, 19)}  ${entry.state}${facts.length ? `  (${facts.join("; ")})` : ""}`);
        },
      });
      cli.print(options.json, run, () => [
        `${run.runId} ended ${run.state}${run.exitCode !== undefined ? ` with exit code ${run.exitCode}` : ""}`,
      ]);
      if (run.state !== RunState.SUCCEEDED) cli.exitWith(EXIT.runNotSucceeded);
    });
}
