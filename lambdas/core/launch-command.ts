import type { RunStateChanged } from "./ports";

/**
 * What the launcher is asked to do, told apart by `kind`. Each sender has its own kind: EventBridge Scheduler's flow
 * schedules (`schedule`), the CLI (`manual`, `backfill`, `cancel`, `pause`, `resume`), the one-time retry schedules (`retry`), the reaper
 * (`redrive`, `retry`), and the bus rule for upstream successes (`upstream`, from the event envelope).
 */
export type LaunchCommand =
  | { kind: "schedule"; flow: string; scheduledTime: string }
  | { kind: "manual"; flow: string; params: Record<string, string>; requestId?: string; at?: string }
  | { kind: "backfill"; flow: string; scheduledTime: string; params: Record<string, string> }
  | RetryCommand
  | { kind: "redrive"; flow: string; runId: string }
  | { kind: "cancel"; flow: string; runId: string; requestedBy: string; reason?: string }
  | { kind: "pause"; flow: string; requestedBy: string; reason?: string }
  | { kind: "resume"; flow: string; requestedBy: string }
  | { kind: "upstream"; change: RunStateChanged };

/** Start this attempt of a RETRYING run. */
export interface RetryCommand {
  kind: "retry";
  flow: string;
  runId: string;
  attempt: number;
}

/** The commands that create a run, as opposed to moving an existing one on. */
export type NewRunCommand = Extract<LaunchCommand, { kind: "schedule" | "manual" | "backfill" }>;

/** A launch request that cannot be carried out as asked; the message names the field and the limit. */
export class InvalidLaunchRequestError extends Error {
  override name = "InvalidLaunchRequestError";
}
