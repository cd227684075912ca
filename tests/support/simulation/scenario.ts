import fc from "fast-check";
import type { FlowRegistry } from "../../../flows/registry/flow-registry";
import { defineRegistry } from "../../../flows/registry/flow-registry";

/** Percentages (0-40) of each kind of fault while faults last. Shrinking turns kinds off, naming the ones that matter. */
export interface FaultMix {
  eventLoss: number;
  eventDuplicate: number;
  eventDelay: number;
  echo: number;
  taskForgotten: number;
  runTaskThrottle: number;
  runTaskCrashAfter: number;
  runTaskCapacity: number;
  runTaskRefused: number;
  stopTaskError: number;
  putEventsError: number;
  crashAfterWrite: number;
  slackNotDelivered: number;
  slackLostResponse: number;
  alerterKilled: number;
  retryScheduleLost: number;
  retryScheduleTwice: number;
  extraReaperPass: number;
}

export interface RunSpec {
  /** Index into the simulated flows. */
  flow: number;
  kind: "schedule" | "manual";
  /** Minutes after the start of the world the fire is due. */
  atMinute: number;
  /** Scheduler deliveries of a scheduled fire, or sends of a manual request (at least once). */
  deliveries: number;
  /** A manual request with a client request id (the page's, a CLI's resend): its resends must answer one run. */
  requestId?: boolean;
}

/**
 * What an operator (the CLI, the page) sends, at a moment of the world. `run` picks one of the scenario's runs by
 * index (modulo their number); the command goes to the launcher as a synchronous invocation, as the CLI sends it.
 */
export type CommandSpec =
  /** Cancel a run `offsetSeconds` after its fire: before, during or after its launch, its retry's backoff, its end. */
  | { kind: "cancel"; run: number; offsetSeconds: number }
  /** Re-run a run, with one request id sent `sends` times (a double-click, a resubmitted form). */
  | { kind: "rerun"; run: number; atMinute: number; sends: number }
  /** Pause a flow, and resume it after a while (or never). */
  | { kind: "pause"; flow: number; atMinute: number; resumeAfterMinutes: number | null }
  /** Backfill the scheduled flow's hourly slots `fromHoursAgo` hours back, and maybe cancel the backfill later. */
  | {
      kind: "backfill";
      fromHoursAgo: number;
      slots: number;
      maxConcurrent: number;
      atMinute: number;
      cancelAfterMinutes: number | null;
    };

export interface Scenario {
  seed: number;
  runs: RunSpec[];
  commands: CommandSpec[];
  faults: FaultMix;
  /** RunTask never succeeds for this flow, even after the faults stop: its runs must end FAILED, not wait forever. */
  brokenFlow: number | null;
}

const rate = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 25 }));
export const faultMixArbitrary: fc.Arbitrary<FaultMix> = fc.record({
  eventLoss: rate,
  eventDuplicate: rate,
  eventDelay: rate,
  echo: rate,
  taskForgotten: rate,
  runTaskThrottle: rate,
  runTaskCrashAfter: rate,
  runTaskCapacity: rate,
  runTaskRefused: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 })),
  stopTaskError: rate,
  putEventsError: rate,
  crashAfterWrite: rate,
  slackNotDelivered: rate,
  slackLostResponse: rate,
  alerterKilled: rate,
  retryScheduleLost: rate,
  retryScheduleTwice: rate,
  extraReaperPass: rate,
});

const runSpec = fc.record({
  flow: fc.integer({ min: 0, max: 3 }),
  kind: fc.constantFrom<RunSpec["kind"]>("schedule", "schedule", "manual"),
  atMinute: fc.integer({ min: 0, max: 20 }),
  deliveries: fc.integer({ min: 1, max: 3 }),
  requestId: fc.boolean(),
});

export const commandArbitrary: fc.Arbitrary<CommandSpec> = fc.oneof(
  fc.record({
    kind: fc.constant("cancel" as const),
    run: fc.nat(7),
    offsetSeconds: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 4, max: 40 * 60 })),
  }),
  fc.record({
    kind: fc.constant("rerun" as const),
    run: fc.nat(7),
    atMinute: fc.integer({ min: 1, max: 40 }),
    sends: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    kind: fc.constant("pause" as const),
    flow: fc.integer({ min: 0, max: 3 }),
    atMinute: fc.integer({ min: 0, max: 20 }),
    resumeAfterMinutes: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 30 })),
  }),
  fc.record({
    kind: fc.constant("backfill" as const),
    fromHoursAgo: fc.integer({ min: 1, max: 8 }),
    slots: fc.integer({ min: 1, max: 6 }),
    maxConcurrent: fc.integer({ min: 1, max: 3 }),
    atMinute: fc.integer({ min: 0, max: 20 }),
    cancelAfterMinutes: fc.oneof(fc.constant(null), fc.constant(null), fc.integer({ min: 0, max: 40 })),
  }),
);

export const scenarioArbitrary: fc.Arbitrary<Scenario> = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  runs: fc.array(runSpec, { minLength: 1, maxLength: 4 }),
  commands: fc.array(commandArbitrary, { maxLength: 4 }),
  faults: faultMixArbitrary,
  brokenFlow: fc.oneof(fc.constant(null), fc.constant(null), fc.constant(null), fc.integer({ min: 0, max: 3 })),
});

/** Many runs of one flow at once: more active runs than one page of the reaper's query holds. */
export const crowdArbitrary: fc.Arbitrary<Scenario> = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  runs: fc.integer({ min: 55, max: 70 }).map((count) =>
    Array.from({ length: count }, (_, index) => ({
      flow: 1,
      kind: "manual" as const,
      atMinute: index % 5,
      deliveries: 1,
    })),
  ),
  commands: fc.array(commandArbitrary, { maxLength: 6 }),
  faults: faultMixArbitrary,
  brokenFlow: fc.constant(null),
});

/** Index of the flow a backfill runs: the one with an hourly schedule (and a flow downstream of it). */
export const SCHEDULED_FLOW = 1;
/** Index of the `overlap: skip` flow. */
export const SKIP_FLOW = 2;

/**
 * The simulated flows of one history: retries 0 and 2 (the second hourly, so it can be backfilled), an overlap-skip
 * flow, and one downstream of the retrying flow. Their names carry the history's prefix, so histories sharing a table
 * never see each other's runs, locks or queries.
 */
export function simulationRegistry(prefix: string): FlowRegistry {
  return defineRegistry([
    { name: `${prefix}-r0`, description: "s", owner: "@sim", retries: 0, overlap: "allow", timeoutMinutes: 30 },
    {
      name: `${prefix}-r2`,
      description: "s",
      owner: "@sim",
      retries: 2,
      overlap: "allow",
      timeoutMinutes: 30,
      schedule: { cron: "0 * * * *" },
    },
    { name: `${prefix}-skip`, description: "s", owner: "@sim", retries: 1, overlap: "skip", timeoutMinutes: 20 },
    {
      name: `${prefix}-after`,
      description: "s",
      owner: "@sim",
      retries: 1,
      overlap: "allow",
      upstream: [`${prefix}-r2`],
    },
  ]);
}
