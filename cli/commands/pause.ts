import type { FlowPause } from "../../lambdas/core/ports";
import { parseReason } from "../arguments";
import { operatorName } from "../operator";
import type { Command } from "commander";
import type { CliContext } from "../context";

interface FlowAnswer {
  status: "paused" | "resumed" | "not-paused";
  flow: string;
  pause?: FlowPause;
}

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
      const flow = cli.registry.require(flowName).name;
      const answer = (await cli.connect().invokeLauncher({
        kind: "pause",
        flow,
        requestedBy: operatorName(cli.io.env),
        ...(options.reason !== undefined && { reason: options.reason }),
      })) as FlowAnswer;
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
      const flow = cli.registry.require(flowName).name;
      const answer = (await cli.connect().invokeLauncher({
        kind: "resume",
        flow,
        requestedBy: operatorName(cli.io.env),
      })) as FlowAnswer;
      cli.print(options.json, answer, () => [
        answer.status === "resumed"
          ? `resumed ${flow} (paused by ${answer.pause!.pausedBy} since ${answer.pause!.pausedAt})`
          : `${flow} was not paused`,
      ]);
    });
}
