import type { Run } from "../../lambdas/core/run";
import { CliError } from "../errors";
import { runDetails } from "../format";
import type { Command } from "commander";
import type { CliContext } from "../context";

/** `show <runId>`: one run and its history. */
export function registerShow(program: Command, cli: CliContext): void {
  program
    .command("show")
    .description("show one run and its history")
    .argument("<runId>", "run id, e.g. hello-world/20260302T1000Z")
    .option("--json", "print JSON")
    .action(async (runId: string, options: { json?: boolean }) => {
      const run: Run | undefined = await cli.connect().runs.get(runId);
      if (!run) throw new CliError(`no run ${runId}`);
      cli.print(options.json, run, () => runDetails(run, cli.io.now()));
    });
}
