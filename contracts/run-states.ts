/**
 * Where a run is in its life, and what started it: the words a run-change event, the runs table, the CLI and the page
 * all use. Terminal states absorb: nothing moves a run out of them (the moves themselves are the core's,
 * `lambdas/core/run-state.ts`).
 */
export const RunState = {
  PENDING: "PENDING",
  STARTING: "STARTING",
  RUNNING: "RUNNING",
  RETRYING: "RETRYING",
  SUCCEEDED: "SUCCEEDED",
  FAILED: "FAILED",
  TIMED_OUT: "TIMED_OUT",
  CANCELLED: "CANCELLED",
  LOST: "LOST",
  SKIPPED: "SKIPPED",
} as const;
export type RunState = (typeof RunState)[keyof typeof RunState];

export const RUN_STATES: readonly RunState[] = Object.values(RunState);

/** The states a run ends in. */
export const TERMINAL_STATES: readonly RunState[] = [
  RunState.SUCCEEDED,
  RunState.FAILED,
  RunState.TIMED_OUT,
  RunState.CANCELLED,
  RunState.LOST,
  RunState.SKIPPED,
];

const TERMINAL: ReadonlySet<RunState> = new Set(TERMINAL_STATES);

export function isTerminal(state: RunState): boolean {
  return TERMINAL.has(state);
}

export function isRunState(value: unknown): value is RunState {
  return typeof value === "string" && (RUN_STATES as readonly string[]).includes(value);
}

/** What started a run. */
export const Trigger = { schedule: "schedule", manual: "manual", backfill: "backfill", upstream: "upstream" } as const;
export type Trigger = (typeof Trigger)[keyof typeof Trigger];

export const TRIGGERS: readonly Trigger[] = Object.values(Trigger);
