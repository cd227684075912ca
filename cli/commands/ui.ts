import { operatorName } from "../operator";
import { startUi } from "../ui/server";
import { parsePositiveInteger } from "../arguments";
import type { Command } from "commander";
import type { CliContext } from "../context";

/**
 * `ui`: the run-history page on 127.0.0.1, reading the chosen environment with the operator's own credentials, for as
 * long as the command runs (Ctrl-C stops it). Nothing is hosted: with no one looking, nothing runs.
 */
export function registerUi(program: Command, cli: CliContext): void {
  program
    .command("ui")
    .description("serve the run-history page on 127.0.0.1 for the chosen environment, until Ctrl-C")
    .option("--port <port>", "the port (default: any free one)", parsePositiveInteger)
    .option("--allow-actions", "in prod: allow run, cancel, re-run, pause and resume from the page")
    .action(async (options: { port?: number; allowActions?: boolean }) => {
      const env = cli.env();
      const ui = await startUi({
        target: cli.connect(),
        registry: cli.registry,
        env,
        allowActions: env !== "prod" || options.allowActions === true,
        operator: `${operatorName(cli.io.env)} (page)`,
        port: options.port ?? 0,
      });
      cli.io.out(`run history of ${env}: ${ui.url}   (Ctrl-C stops)`);
      await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
      await ui.close();
    });
}
