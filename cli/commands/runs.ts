import { InvalidArgumentError, Option } from "commander";
import { Trigger, isRunState, RUN_STATES } from "../../contracts/run-states";
import { parsePositiveInteger, parseSince } from "../arguments";
import { runRows } from "../format";
import { listRuns } from "../run-listing";
import type { Command } from "commander";
import type { CliContext } from "../context";

interface RunsOptions {
  flow?: string;
  state?: string;
  trigger?: string;
  since?: (now: Date) => Date;
  before?: string;
  limit: number;
  json?: boolean;
}

/** `runs`: recent runs, newest first, a page at a time; the last line says how to see the page before. */
export function registerRuns(program: Command, cli: CliContext): void {
  program
    .command("runs")
    .description("list runs, newest first, a page at a time")
    .option("--flow <flow>", "only this flow's runs")
    .addOption(new Option("--state <state>", "only runs in this state").choices(RUN_STATES))
    .addOption(new Option("--trigger <trigger>", "only runs started so").choices(Object.values(Trigger)))
    .option("--since <when>", "only runs created since: 10m, 2h, 1d, or an ISO time", parseSince)
    .option("--before <cursor>", "the page before: the cursor the last page printed", parseCursor)
    .option("--limit <n>", "runs per page", parsePositiveInteger, 20)
    .option("--json", "print JSON: { runs, next }")
    .action(async (options: RunsOptions) => {
      const state = options.state && isRunState(options.state) ? options.state : undefined;
      const { runs, next } = await listRuns(cli.connect().runs, cli.registry, {
        limit: options.limit,
        ...(options.flow && { flow: options.flow }),
        ...(state && { state }),
        ...(options.trigger && { trigger: options.trigger as Trigger }),
        ...(options.since && { since: options.since(cli.io.now()).toISOString() }),
        ...(options.before && { before: options.before }),
      });
      cli.print(options.json, { runs, ...(next && { next }) }, () => [
        ...(runs.length ? runRows(runs, cli.io.now()) : ["no runs"]),
        ...(next ? ["", `older runs: data-flows runs --before '${next}'${repeat(options)}`] : []),
      ]);
    });
}

/** The filters of this command again, for the "older runs" hint. */
function repeat(options: RunsOptions): string {
  return [
    options.flow && ` --flow ${options.flow}`,
    options.state && ` --state ${options.state}`,
    options.trigger && ` --trigger ${options.trigger}`,
    ` --limit ${options.limit}`,
  ]
    .filter(Boolean)
    .join("");
}

function parseCursor(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T[\d:.]+Z#[a-z0-9-]+\/\S+$/.test(value))
    throw new InvalidArgumentError("expected the cursor a page printed, e.g. 2026-03-02T10:00:01.250Z#orders-daily/…");
  return value;
}
