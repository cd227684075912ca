import { InvalidArgumentError, Option } from "commander";
import { SingleBar } from "cli-progress";
import { scheduleSpecOf } from "../../flows/registry/schedule";
import { intervalEndingAt } from "../../lambdas/core/data-interval";
import { BACKFILL_LIMITS, backfillBound, backfillIdOf, backfillSlots } from "../../lambdas/core/backfill-plan";
import type { Backfill } from "../../lambdas/core/ports";
import { backfillRunId } from "../../lambdas/core/run-id";
import { collectParam, parseReason, requireValidParams } from "../arguments";
import type { BackfillStatus } from "../backfill-status";
import { BackfillStatusReader, backfillSummary, formatCounts, slotEnded } from "../backfill-status";
import type { CliContext } from "../context";
import { EXIT } from "../context";
import { CliError } from "../errors";
import { table } from "../format";
import type { Target } from "../local-target";
import { cancelBackfill, startBackfill } from "../operations";
import type { Command } from "commander";

interface BackfillOptions {
  from?: string;
  to?: string;
  maxConcurrent: number;
  param: Record<string, string>;
  dryRun?: boolean;
  detach?: boolean;
  status?: string;
  cancel?: string;
  reason?: string;
  json?: boolean;
}

/**
 * `backfill <flow> --from <date> --to <date>`: one run per schedule slot in the range, at most `--max-concurrent` at
 * a time, queued in the runs table (the control plane starts the next slot as one ends, whether this command stays or
 * not). It follows the backfill with a progress bar and prints a summary; `--status` and `--cancel` take its id.
 */
export function registerBackfill(program: Command, cli: CliContext): void {
  program
    .command("backfill")
    .description("run a flow for every schedule slot of a range, at most --max-concurrent at a time")
    .argument("[flow]", "flow name (not with --status or --cancel)")
    .option("--from <date>", "first day (2026-03-01, in the flow's timezone) or instant (2026-03-01T06:00Z)")
    .option("--to <date>", "last day, included, or instant")
    .addOption(
      new Option("--max-concurrent <n>", `slots running at once, 1 to ${BACKFILL_LIMITS.maxConcurrent}`)
        .argParser(concurrency)
        .default(1),
    )
    .option("-p, --param <key=value>", "a run parameter for every slot (repeatable)", collectParam, {})
    .option("--dry-run", "list the slots and their runs without starting anything")
    .option("--detach", "start it and return; `backfill --status <id>` follows up")
    .option("--status <backfillId>", "print a backfill's progress and slots")
    .option("--cancel <backfillId>", "cancel a backfill: its active runs are cancelled, no more slots start")
    .option("--reason <text>", "with --cancel: why", parseReason)
    .option("--json", "print JSON")
    .action(async (flowName: string | undefined, options: BackfillOptions) => {
      if (options.status !== undefined || options.cancel !== undefined) {
        if (flowName !== undefined || options.from !== undefined)
          throw new CliError("--status and --cancel take a backfill id, not a flow and range");
        const target = cli.connect();
        if (options.cancel !== undefined) {
          await cancelBackfill(cli.operator(), options.cancel, options.reason);
        }
        const backfill = await requireBackfill(target, options.cancel ?? options.status!);
        const status = await new BackfillStatusReader(target.runs, cli.io.now).read(backfill);
        cli.print(options.json, status, () => backfillSummary(status));
        return;
      }
      if (!flowName)
        throw new CliError("backfill needs a flow: `data-flows backfill <flow> --from <date> --to <date>`");
      const flow = cli.registry.require(flowName);
      if (!flow.schedule) throw new CliError(`flow "${flow.name}" has no schedule: a backfill runs a schedule's slots`);
      if (options.from === undefined || options.to === undefined) throw new CliError("backfill needs --from and --to");
      requireValidParams(flow, options.param);
      const { from, to } = bounds(options.from, options.to, flow.schedule.timezone);
      let slots: Date[];
      try {
        slots = backfillSlots({ ...scheduleSpecOf(flow.schedule), timezone: flow.schedule.timezone }, from, to);
      } catch (error) {
        throw new CliError((error as Error).message);
      }
      if (slots.length === 0)
        throw new CliError(`flow "${flow.name}" has no schedule slot from ${options.from} to ${options.to}`);
      const target = cli.connect();
      if (options.dryRun) {
        const plan = await Promise.all(
          slots.map(async (slot) => {
            const runId = backfillRunId(flow.name, slot);
            const existing = await target.runs.get(runId);
            return {
              slot: slot.toISOString(),
              runId,
              dataInterval: intervalEndingAt(flow, slot),
              existing: existing?.state ?? null,
            };
          }),
        );
        cli.print(options.json, { backfillId: backfillIdOf(flow.name, from, to), slots: plan }, () => [
          `backfill ${backfillIdOf(flow.name, from, to)} would run ${plan.filter((slot) => !slot.existing).length} of ${plan.length} slots, ${options.maxConcurrent} at a time (dry run: nothing started)`,
          ...table(
            ["SLOT (UTC)", "RUN", "DATA INTERVAL", "EXISTING"],
            plan.map((slot) => [
              slot.slot.slice(0, 16).replace("T", " "),
              slot.runId,
              `${slot.dataInterval.start} → ${slot.dataInterval.end}`,
              slot.existing ?? "",
            ]),
          ),
        ]);
        return;
      }
      const answer = await startBackfill(cli.operator(), {
        flow,
        from,
        to,
        maxConcurrent: options.maxConcurrent,
        params: options.param,
      });
      const { backfill } = answer;
      if (!options.json) {
        cli.io.out(
          answer.status === "backfill-created"
            ? `backfill ${backfill.backfillId}: ${backfill.slotCount} slots, ${backfill.maxConcurrent} at a time`
            : `backfill ${backfill.backfillId} exists already (${backfill.state}): following it; nothing new was started`,
        );
      }
      if (options.detach) {
        cli.print(options.json, answer, () => [
          `follow it with \`data-flows backfill --status ${backfill.backfillId}\``,
        ]);
        return;
      }
      const status = await follow(cli, target, backfill);
      cli.print(options.json, status, () => ["", ...backfillSummary(status)]);
      if (status.slots.some((slot) => slot.state !== "SUCCEEDED")) cli.exitWith(EXIT.runNotSucceeded);
    });
}

/** Polls the backfill until every slot's run has ended, drawing a progress bar (counts per state, elapsed, ETA). */
async function follow(cli: CliContext, target: Target, started: Backfill): Promise<BackfillStatus> {
  const reader = new BackfillStatusReader(target.runs, cli.io.now);
  const pollMs = cli.env() === "local" ? 500 : 2000;
  const stream = cli.io.progress;
  const bar = stream
    ? new SingleBar({
        stream,
        format: "{bar} {value}/{total} ended | {counts} | elapsed {duration_formatted} | ETA {eta_formatted}",
        noTTYOutput: true,
        notTTYSchedule: 2000,
        hideCursor: stream.isTTY ?? false,
        etaBuffer: 20,
      })
    : undefined;
  let status = await reader.read(started);
  const endedCount = (current: BackfillStatus) =>
    current.slots.filter((slot) => slotEnded(slot.state) || slot.state === "NOT STARTED").length;
  bar?.start(status.slots.length, endedCount(status), { counts: formatCounts(status.counts) });
  let last = "";
  for (;;) {
    const line = formatCounts(status.counts);
    if (bar) bar.update(endedCount(status), { counts: line });
    else if (line !== last) cli.io.err(`${endedCount(status)}/${status.slots.length} ended  ${line}`);
    last = line;
    if (status.finished) break;
    await cli.io.sleep(pollMs);
    status = await reader.read(await requireBackfill(target, started.backfillId));
  }
  bar?.stop();
  return status;
}

async function requireBackfill(target: Target, backfillId: string): Promise<Backfill> {
  const backfill = await target.backfills.get(backfillId);
  if (!backfill) throw new CliError(`no backfill ${backfillId}`);
  return backfill;
}

function bounds(fromText: string, toText: string, timezone: string): { from: Date; to: Date } {
  try {
    const from = backfillBound(fromText, timezone, false);
    const to = backfillBound(toText, timezone, true);
    if (from.getTime() > to.getTime()) throw new RangeError(`--from ${fromText} is after --to ${toText}`);
    return { from, to };
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

function concurrency(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > BACKFILL_LIMITS.maxConcurrent)
    throw new InvalidArgumentError(`expected a whole number from 1 to ${BACKFILL_LIMITS.maxConcurrent}`);
  return parsed;
}
