import { collectParam } from "../arguments";
import { CliError } from "../errors";
import { startRun } from "../operations";
import { reportStarted } from "../report-started";
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
      const started = await startRun(cli.operator(), flow, options.param);
      await reportStarted(cli, cli.connect(), started, flow, options);
    });
}
