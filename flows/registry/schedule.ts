import { Cron } from "croner";

/**
 * A flow's schedule as written in the registry: a standard five-field cron evaluated in an IANA timezone, or a fixed
 * rate. The same value drives EventBridge Scheduler (through {@link toSchedulerExpression}) and the local scheduler
 * (through {@link nextFireTimes}), so both fire at the same instants.
 */
export type ScheduleSpec = { cron: string; rate?: undefined } | { rate: string; cron?: undefined };

const RATE_PATTERN = /^(\d+)\s+(minute|minutes|hour|hours|day|days)$/;
const RATE_UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** Thrown for a schedule that cannot be expressed; the message says what to write instead. */
export class ScheduleError extends Error {
  override name = "ScheduleError";
}

/** The cron-or-rate part of a flow's schedule. */
export function scheduleSpecOf(schedule: { cron?: string; rate?: string }): ScheduleSpec {
  return schedule.cron !== undefined ? { cron: schedule.cron } : { rate: schedule.rate! };
}

/** Parses `"15 minutes"` into its value and singular unit. */
export function parseRate(rate: string): { value: number; unit: keyof typeof RATE_UNIT_MS } {
  const match = RATE_PATTERN.exec(rate.trim());
  if (!match) throw new ScheduleError(`"${rate}" is not a rate; write "<n> minutes|hours|days", e.g. "15 minutes"`);
  const value = Number(match[1]);
  if (value < 1) throw new ScheduleError(`rate "${rate}" must be at least 1`);
  const unit = match[2]!.replace(/s$/, "") as keyof typeof RATE_UNIT_MS;
  return { value, unit };
}

/** Checks a five-field cron (minute hour day-of-month month day-of-week) and returns its fields. */
export function parseCron(cron: string): string[] {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) {
    throw new ScheduleError(
      `"${cron}" has ${fields.length} fields; write five: minute hour day-of-month month day-of-week, e.g. "0 6 * * 1-5"`,
    );
  }
  try {
    new Cron(cron, { paused: true });
  } catch (error) {
    throw new ScheduleError(`"${cron}" is not a valid cron: ${(error as Error).message}`);
  }
  const [, , dayOfMonth, , dayOfWeek] = fields as [string, string, string, string, string];
  if (isRestricted(dayOfMonth) && isRestricted(dayOfWeek)) {
    throw new ScheduleError(
      `"${cron}" restricts both day-of-month and day-of-week, which EventBridge Scheduler cannot express; set one of them to *`,
    );
  }
  if (dayOfWeek.includes("/")) {
    throw new ScheduleError(
      `"${cron}" uses a step in day-of-week, which EventBridge Scheduler cannot express; list the days`,
    );
  }
  return fields;
}

/** Whether a timezone is a name the runtime's ICU data knows (e.g. `Europe/London`). */
export function isKnownTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The EventBridge Scheduler expression for a schedule. AWS cron has six fields, needs `?` in one of the two day fields
 * and numbers weekdays 1-7 from Sunday, where standard cron numbers them 0-6 (or 7) from Sunday.
 */
export function toSchedulerExpression(spec: ScheduleSpec): string {
  if (spec.rate !== undefined) {
    const { value, unit } = parseRate(spec.rate);
    return `rate(${value} ${value === 1 ? unit : `${unit}s`})`;
  }
  const [minute, hour, dayOfMonth, month, dayOfWeek] = parseCron(spec.cron) as [string, string, string, string, string];
  const awsDays = isRestricted(dayOfWeek)
    ? ["?", toAwsDayOfWeek(dayOfWeek)]
    : [dayOfMonth === "?" ? "*" : dayOfMonth, "?"];
  return `cron(${[minute, hour, awsDays[0], month, awsDays[1], "*"].join(" ")})`;
}

/** The next `count` instants a schedule fires after `from`, in its timezone. */
export function nextFireTimes(spec: ScheduleSpec, timezone: string, from: Date, count: number): Date[] {
  if (spec.rate !== undefined) {
    const periodMs = ratePeriodMs(spec.rate);
    const first = Math.floor(from.getTime() / periodMs) * periodMs + periodMs;
    return Array.from({ length: count }, (_, index) => new Date(first + index * periodMs));
  }
  return new Cron(spec.cron, { timezone, paused: true }).nextRuns(count, from);
}

/** The last instant a schedule fired strictly before `before`, in its timezone. */
export function previousFireTime(spec: ScheduleSpec, timezone: string, before: Date): Date {
  if (spec.rate !== undefined) {
    const periodMs = ratePeriodMs(spec.rate);
    return new Date(Math.ceil(before.getTime() / periodMs) * periodMs - periodMs);
  }
  const [previous] = new Cron(spec.cron, { timezone, paused: true }).previousRuns(1, before);
  if (!previous) throw new ScheduleError(`"${spec.cron}" never fired before ${before.toISOString()}`);
  return previous;
}

/** The last instant a schedule fired at or before `at`: the end of the latest complete interval. */
export function lastFireAtOrBefore(spec: ScheduleSpec, timezone: string, at: Date): Date {
  return previousFireTime(spec, timezone, new Date(Math.floor(at.getTime() / 1000) * 1000 + 1000));
}

function ratePeriodMs(rate: string): number {
  const { value, unit } = parseRate(rate);
  return value * RATE_UNIT_MS[unit];
}

function isRestricted(field: string): boolean {
  return field !== "*" && field !== "?";
}

function toAwsDayOfWeek(field: string): string {
  const shift = (days: string) => days.replace(/\d+/g, (digits) => String((Number(digits) % 7) + 1));
  // In "5#3" (third Friday) only the weekday moves; the occurrence number stays.
  return field
    .split(",")
    .map((token) => {
      const [day, occurrence] = token.split("#");
      return occurrence === undefined ? shift(day!) : `${shift(day!)}#${occurrence}`;
    })
    .join(",");
}

/** A schedule as one line for people: `0 6 * * 1-5 (Europe/London)` or `every 15 minutes`. */
export function describeSchedule(schedule: {
  cron?: string;
  rate?: string;
  timezone: string;
  enabled: boolean;
}): string {
  const when = schedule.cron !== undefined ? `${schedule.cron} (${schedule.timezone})` : `every ${schedule.rate}`;
  return schedule.enabled ? when : `${when}, disabled`;
}
