import { Option } from "commander";
import { isRunState, RUN_STATES } from "../../lambdas/core/run-state";
import { runRows } from "../format";
import { parsePositiveInteger } from "../arguments";
import type { Command } from "commander";
import type { CliContext } from "../context";

/** `runs`: recent runs, newest first. */
export function registerRuns(program: Command, cli: CliContext): void {
  program
    .command("runs")
    .description("list recent runs, newest first")
    .option("--flow <flow>", "only this flow's runs")
    .addOption(new Option("--state <state>", "only runs in this state").choices(RUN_STATES))
    .option("--limit <n>", "at most this many runs", parsePositiveInteger, 20)
    .option("--json", "print JSON")
    .action(async (options: { flow?: string; state?: string; limit: number; json?: boolean }) => {
      const flows = options.flow ? [cli.registry.require(options.flow).name] : cli.registry.names;
      const state = options.state && isRunState(options.state) ? options.state : undefined;
      const target = cli.connect();
      const perFlow = await Promise.all(
        flows.map((flow) => target.runs.listByFlow(flow, { limit: options.limit, ...(state && { state }) })),
      );
      const runs = perFlow
        .flat()
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
        .slice(0, options.limit);
      cli.print(options.json, runs, () => (runs.length ? runRows(runs, cli.io.now()) : ["no runs yet"]));
    });
}
