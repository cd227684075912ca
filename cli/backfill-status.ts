import { backfillRunId } from "../lambdas/core/run-id";
import { slotsOf } from "../lambdas/core/backfill-plan";
import type { Backfill, RunStore } from "../lambdas/core/ports";
import type { Run } from "../lambdas/core/run";
import { isRunState, isTerminal } from "../contracts/run-states";
import { duration, table } from "./format";

/** A slot as `backfill --status` shows it: its run, or QUEUED while its lane has not reached it. */
export interface SlotStatus {
  slot: string;
  runId: string;
  state: string;
  attempt?: string;
  duration?: string;
  exitCode?: number;
  reason?: string;
}

export interface BackfillStatus {
  backfill: Backfill;
  slots: SlotStatus[];
  /** Slots per state, QUEUED included. */
  counts: Record<string, number>;
  /** Every slot's run has ended (or the backfill was cancelled and nothing is active any more). */
  finished: boolean;
}

/** How many runs the CLI reads at once. */
const READ_CONCURRENCY = 16;

/**
 * Reads a backfill's progress. A slot behind its lane's head has ended (read once, then remembered: an ended run never
 * changes); a lane's head is read each time; a slot ahead of it has not been started. So following a backfill of
 * thousands of slots reads only what can have changed.
 */
export class BackfillStatusReader {
  private readonly ended = new Map<string, Run>();
  /** The slots of the backfill read last: a backfill's slots never change, so following one computes them once. */
  private slots?: { backfillId: string; runIds: string[]; at: string[] };

  constructor(
    private readonly runs: RunStore,
    private readonly now: () => Date,
  ) {}

  async read(backfill: Backfill): Promise<BackfillStatus> {
    if (this.slots?.backfillId !== backfill.backfillId) {
      const all = slotsOf(backfill).all();
      this.slots = {
        backfillId: backfill.backfillId,
        runIds: all.map((slot) => backfillRunId(backfill.flow, slot)),
        at: all.map((slot) => slot.toISOString()),
      };
    }
    const { runIds, at } = this.slots;
    const step = backfill.lanes.length;
    const reached = (index: number) => index <= backfill.lanes[index % step]!;
    const toRead = runIds.map((_, index) => index).filter((index) => reached(index) && !this.ended.has(runIds[index]!));
    const read = new Map<number, Run | undefined>();
    for (let start = 0; start < toRead.length; start += READ_CONCURRENCY) {
      const batch = toRead.slice(start, start + READ_CONCURRENCY);
      const found = await Promise.all(batch.map((index) => this.runs.get(runIds[index]!)));
      batch.forEach((index, position) => {
        const run = found[position];
        read.set(index, run);
        if (run && isTerminal(run.state)) this.ended.set(run.runId, run);
      });
    }
    const now = this.now();
    const statuses = runIds.map((runId, index): SlotStatus => {
      const run = this.ended.get(runId) ?? read.get(index);
      const slot = at[index]!;
      if (!run) return { slot, runId, state: backfill.state === "ACTIVE" ? "QUEUED" : "NOT STARTED" };
      return {
        slot,
        runId,
        state: run.state,
        attempt: `${run.attempt}/${run.maxAttempts}`,
        ...(duration(run, now) && { duration: duration(run, now) }),
        ...(run.exitCode !== undefined && { exitCode: run.exitCode }),
        ...(run.reason !== undefined && run.state !== "SUCCEEDED" && { reason: run.reason }),
      };
    });
    const counts: Record<string, number> = {};
    for (const status of statuses) counts[status.state] = (counts[status.state] ?? 0) + 1;
    const active = statuses.some(
      (status) => status.state !== "QUEUED" && status.state !== "NOT STARTED" && !slotEnded(status.state),
    );
    return {
      backfill,
      slots: statuses,
      counts,
      finished: backfill.state !== "ACTIVE" ? !active : statuses.every((status) => slotEnded(status.state)),
    };
  }
}

/** A slot's state is a run's (or QUEUED, NOT STARTED): ended when it is a run's terminal state. */
export function slotEnded(state: string): boolean {
  return isRunState(state) && isTerminal(state);
}

/** The order states are counted in, most done first. */
const COUNT_ORDER = [
  "SUCCEEDED",
  "FAILED",
  "TIMED_OUT",
  "CANCELLED",
  "LOST",
  "SKIPPED",
  "RUNNING",
  "STARTING",
  "PENDING",
  "RETRYING",
  "QUEUED",
  "NOT STARTED",
];

/** `SUCCEEDED 4  RUNNING 3  QUEUED 3`. */
export function formatCounts(counts: Record<string, number>): string {
  return COUNT_ORDER.filter((state) => counts[state])
    .map((state) => `${state} ${counts[state]}`)
    .join("  ");
}

/** The summary a finished (or `--status`) backfill prints: its facts, then a row per slot. */
export function backfillSummary(status: BackfillStatus): string[] {
  const { backfill } = status;
  return [
    `backfill ${backfill.backfillId}: ${backfill.state}${backfill.reason ? ` (${backfill.reason})` : ""}`,
    `  ${backfill.slotCount} slots from ${backfill.from} to ${backfill.to}, at most ${backfill.maxConcurrent} at a time, by ${backfill.requestedBy}`,
    `  ${formatCounts(status.counts)}`,
    "",
    ...table(
      ["SLOT (UTC)", "RUN", "STATE", "ATTEMPT", "DURATION", "EXIT", "REASON"],
      status.slots.map((slot) => [
        slot.slot.slice(0, 16).replace("T", " "),
        slot.runId,
        slot.state,
        slot.attempt ?? "",
        slot.duration ?? "",
        slot.exitCode === undefined ? "" : String(slot.exitCode),
        slot.reason ?? "",
      ]),
    ),
  ];
}
