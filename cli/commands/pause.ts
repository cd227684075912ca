import { parseReason } from "../arguments";
import { pauseFlow, resumeFlow } from "../operations";
import type { Command } from "commander";
import type { CliContext } from "../context";

/**
 * `pause <flow>` / `resume <flow>`: holds a flow's own fires (schedule, upstream) as SKIPPED with reason "paused", and
 * lets them through again. A pause is an item in the runs table, not a Terraform change: deploys leave it alone.
 */
export function registerPause(program: Command, cli: CliContext): void {
  program
    .command("pause")
    .description("pause a flow: its schedule and upstream fires are recorded SKIPPED (paused) until resumed")
    .argument("<flow>", "flow name")
    .option("--reason <text>", "why, shown with the pause and in each skipped run", parseReason)
    .option("--json", "print JSON")
    .action(async (flowName: string, options: { reason?: string; json?: boolean }) => {
      const answer = await pauseFlow(cli.operator(), flowName, options.reason);
      const { flow } = answer;
      cli.print(options.json, answer, () => [
        `paused ${flow} (by ${answer.pause!.pausedBy} at ${answer.pause!.pausedAt}${answer.pause!.reason ? `: ${answer.pause!.reason}` : ""})`,
        `its schedule and upstream fires are recorded SKIPPED until \`data-flows resume ${flow}\``,
      ]);
    });

  program
    .command("resume")
    .description("resume a paused flow: its next fires launch again")
    .argument("<flow>", "flow name")
    .option("--json", "print JSON")
    .action(async (flowName: string, options: { json?: boolean }) => {
      const answer = await resumeFlow(cli.operator(), flowName);
      const { flow } = answer;
      cli.print(options.json, answer, () => [
        answer.status === "resumed"
          ? `resumed ${flow} (paused by ${answer.pause!.pausedBy} since ${answer.pause!.pausedAt})`
          : `${flow} was not paused`,
      ]);
    });
}
