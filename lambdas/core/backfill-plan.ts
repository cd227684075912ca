import { TZDate } from "@date-fns/tz";
import type { ScheduleSpec } from "../../flows/registry/schedule";
import { nextFireTimes } from "../../flows/registry/schedule";
import { backfillRunId } from "./run-id";

/**
 * Backfills as plain data: which schedule slots a range holds, the backfill's id, and the order its slots run in.
 * A backfill runs its slots in `maxConcurrent` lanes: slot i runs in lane i mod n, once slot i − n has ended. So at
 * most n of its runs are active at a time, without a counter that at-least-once deliveries could leave wrong: a lane
 * moves on only when the run at its head is seen ended in the store.
 */

/** What a backfill may ask for. Slots are recomputed from the schedule snapshot, never stored one by one. */
export const BACKFILL_LIMITS = { slots: 10_000, maxConcurrent: 50 } as const;

/** The schedule a backfill's slots come from, as it was when the backfill was made (a later edit does not move them). */
export type BackfillSchedule = ScheduleSpec & { timezone: string };

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * An operator's `--from` / `--to` as an instant: a date is a whole day in the flow's timezone (`--from` its start,
 * `--to` its last millisecond, so `--to 2026-03-10` includes the 10th); anything else must be an ISO 8601 instant.
 */
export function backfillBound(text: string, timezone: string, end: boolean): Date {
  const day = DATE_ONLY.exec(text);
  if (day) {
    const [year, month, date] = [Number(day[1]), Number(day[2]) - 1, Number(day[3])];
    const start = new TZDate(year, month, date + (end ? 1 : 0), 0, 0, 0, timezone).getTime();
    const check = new TZDate(year, month, date, timezone);
    if (check.getMonth() !== month || check.getDate() !== date) throw new RangeError(`"${text}" is not a date`);
    return new Date(end ? start - 1 : start);
  }
  const instant = /^\d{4}-\d{2}-\d{2}T/.test(text) && /(Z|[+-]\d{2}:?\d{2})$/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(instant)) {
    throw new RangeError(
      `"${text}" is neither a date (2026-03-01) nor an ISO instant with its offset (2026-03-01T06:00Z)`,
    );
  }
  return new Date(instant);
}

/**
 * A backfill's slots in order, computed as far as they are asked for: reading the schedule costs about 50 µs a slot,
 * so a lane's next slot near the end of 10,000 is not worth recomputing the whole range for at every step.
 */
export class SlotSequence {
  private readonly slots: Date[] = [];
  private after: Date;
  private complete = false;
  /** Slots read per step, doubling up to 512: a 6-slot backfill costs 16 reads of the schedule, not 500. */
  private batch = 16;

  constructor(
    private readonly schedule: BackfillSchedule,
    from: Date,
    private readonly to: Date,
  ) {
    this.after = new Date(from.getTime() - 1);
  }

  /** Slot `index`, or undefined past the range's last slot. */
  at(index: number): Date | undefined {
    while (this.slots.length <= index && !this.complete) this.extend();
    return this.slots[index];
  }

  /** Every slot, refused past `limit` (it says how many is too many). */
  all(limit = BACKFILL_LIMITS.slots): Date[] {
    while (!this.complete) {
      if (this.slots.length > limit) break;
      this.extend();
    }
    if (this.slots.length > limit) {
      throw new RangeError(`the range holds more than ${limit.toLocaleString("en")} slots: backfill it in parts`);
    }
    return [...this.slots];
  }

  private extend(): void {
    const batch = nextFireTimes(this.schedule, this.schedule.timezone, this.after, this.batch);
    this.batch = Math.min(this.batch * 2, 512);
    for (const slot of batch) {
      if (slot.getTime() > this.to.getTime()) {
        this.complete = true;
        return;
      }
      this.slots.push(slot);
    }
    if (batch.length === 0) this.complete = true;
    else this.after = batch[batch.length - 1]!;
  }
}

/** Every slot of the schedule in `[from, to]`, in order; more than `limit` is refused (it says how many it found). */
export function backfillSlots(schedule: BackfillSchedule, from: Date, to: Date, limit = BACKFILL_LIMITS.slots): Date[] {
  return new SlotSequence(schedule, from, to).all(limit);
}

/** A stored backfill's slots. */
export function slotsOf(backfill: { schedule: BackfillSchedule; from: string; to: string }): SlotSequence {
  return new SlotSequence(backfill.schedule, new Date(backfill.from), new Date(backfill.to));
}

/** `<flow>/<from>-<to>` in compact UTC: the same range asks for the same backfill, so asking twice adds nothing. */
export function backfillIdOf(flow: string, from: Date, to: Date): string {
  const compact = (instant: Date) =>
    instant
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d{3}Z$/, "Z");
  return `${flow}/${compact(from)}-${compact(to)}`;
}

/** Whether `slot` is one of a backfill's slots: within its range, and a fire time of its schedule. */
export function coversSlot(backfill: { schedule: BackfillSchedule; from: string; to: string }, slot: Date): boolean {
  if (slot.getTime() < Date.parse(backfill.from) || slot.getTime() > Date.parse(backfill.to)) return false;
  const [fire] = nextFireTimes(backfill.schedule, backfill.schedule.timezone, new Date(slot.getTime() - 1), 1);
  return fire?.getTime() === slot.getTime();
}

/** The run of slot `index`. */
export function slotRunId(flow: string, slots: SlotSequence, index: number): string {
  return backfillRunId(flow, slots.at(index)!);
}

/** The lanes a new backfill starts with: lane L's head is slot L. */
export function initialLanes(slotCount: number, maxConcurrent: number): number[] {
  return Array.from({ length: Math.min(maxConcurrent, slotCount) }, (_, lane) => lane);
}
