import { parseReason } from "../arguments";
import { cancelRun } from "../operations";
import type { Command } from "commander";
import type { CliContext } from "../context";

/** `cancel <runId>`: ends a run CANCELLED (its task stopped, never retried, its lock freed), with who and why. */
export function registerCancel(program: Command, cli: CliContext): void {
  program
    .command("cancel")
    .description("cancel a run: its task is stopped, it ends CANCELLED and is never retried")
    .argument("<runId>", "run id, e.g. hello-world/m20260302T101201Z-3fa9c1d2e4")
    .option("--reason <text>", "why, recorded in the run's history", parseReason)
    .option("--json", "print JSON")
    .action(async (runId: string, options: { reason?: string; json?: boolean }) => {
      const answer = await cancelRun(cli.operator(), runId, options.reason);
      cli.print(options.json, answer, () => [
        answer.status === "cancelled"
          ? `cancelled ${answer.runId}`
          : `${answer.runId} had already ended ${answer.state}: nothing to cancel`,
      ]);
    });
}
