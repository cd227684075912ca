import { randomNonces } from "../../lambdas/adapters/random-nonces";
import { CliError } from "../errors";
import { requireFlowOfRun } from "../arguments";
import { rerunRun } from "../operations";
import { reportStarted } from "../report-started";
import type { Command } from "commander";
import type { CliContext } from "../context";

/** `rerun <runId>`: a new manual run of the same flow with the same params and data interval, linked to the original. */
export function registerRerun(program: Command, cli: CliContext): void {
  program
    .command("rerun")
    .description("start a new run of a run's flow with its params and data interval (linked to it)")
    .argument("<runId>", "the run to run again, e.g. orders-daily/20260302T0600Z")
    .option("--wait", "follow the new run until it ends; exit 1 unless it SUCCEEDED")
    .option("--logs", "with --wait: print each attempt's log lines as the flow writes them")
    .option("--json", "print JSON")
    .action(async (runId: string, options: { wait?: boolean; logs?: boolean; json?: boolean }) => {
      const flow = requireFlowOfRun(cli.registry, runId);
      if (options.logs && !options.wait) throw new CliError("--logs goes with --wait");
      const target = cli.connect();
      // Sent once per command: a launcher retried by the platform starts the same rerun, not a second one.
      const started = await rerunRun(cli.operator(), runId, randomNonces.nonce());
      if (!options.json && !options.wait) cli.io.out(`re-running ${runId}`);
      await reportStarted(cli, target, started, flow, options);
    });
}
