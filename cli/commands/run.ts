import { collectParam, requireValidParams } from "../arguments";
import { RunState } from "../../lambdas/core/run-state";
import { EXIT } from "../context";
import { CliError } from "../errors";
import { RunLogFollower } from "../log-follower";
import { followRun } from "../wait-for-run";
import type { Command } from "commander";
import type { CliContext } from "../context";

interface RunOptions {
  param: Record<string, string>;
  wait?: boolean;
  logs?: boolean;
  json?: boolean;
}

/** `run <flow>`: starts a run now, and with `--wait` follows it to its end (with `--logs`, printing its log lines). */
export function registerRun(program: Command, cli: CliContext): void {
  program
    .command("run")
    .description("start a run of a flow now")
    .argument("<flow>", "flow name")
    .option("-p, --param <key=value>", "a run parameter (repeatable), overriding the flow's default", collectParam, {})
    .option("--wait", "follow the run until it ends; exit 1 unless it SUCCEEDED")
    .option("--logs", "with --wait: print each attempt's log lines as the flow writes them")
    .option("--json", "print JSON (with --wait --logs, JSON lines: one per log line, then the run)")
    .action(async (flowName: string, options: RunOptions) => {
      const flow = cli.registry.require(flowName);
      if (options.logs && !options.wait)
        throw new CliError("--logs goes with --wait: `data-flows run <flow> --wait --logs`");
      requireValidParams(flow, options.param);
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
    });
}
