import type { RunStateChanged } from "./run-events";

/**
 * What the launcher is asked to do, told apart by `kind`. Each sender has its own kind: EventBridge Scheduler's flow
 * schedules (`schedule`), the CLI and the page (`manual`, `rerun`, `backfill`, `backfill-cancel`, `cancel`, `pause`,
 * `resume`), the one-time retry schedules (`retry`), the reaper (`redrive`, `retry`, `backfill-advance`), and the bus
 * rules for upstream successes and backfill endings (`run-changed`, from the event envelope).
 */
export type LaunchCommand =
  | { kind: "schedule"; flow: string; scheduledTime: string }
  | {
      kind: "manual";
      flow: string;
      params: Record<string, string>;
      requestId?: string;
      at?: string;
      /** Who asked (kept on the run); in AWS the IAM principal the launcher's URL authenticated. */
      requestedBy?: string;
    }
  | {
      kind: "backfill";
      flow: string;
      from: string;
      to: string;
      maxConcurrent: number;
      params: Record<string, string>;
      requestedBy: string;
    }
  | { kind: "backfill-advance"; backfillId: string }
  | { kind: "backfill-cancel"; backfillId: string; requestedBy: string; reason?: string }
  | { kind: "rerun"; flow: string; runId: string; requestedBy: string; requestId?: string }
  | RetryCommand
  | { kind: "redrive"; flow: string; runId: string }
  | { kind: "cancel"; flow: string; runId: string; requestedBy: string; reason?: string }
  | { kind: "pause"; flow: string; requestedBy: string; reason?: string }
  | { kind: "resume"; flow: string; requestedBy: string }
  | { kind: "run-changed"; change: RunStateChanged };

export type LaunchCommandKind = LaunchCommand["kind"];

/**
 * The commands an operator sends (the CLI, the page). In AWS they reach the launcher only through its URL, which
 * authenticates the caller with IAM: the launcher records that principal as `requestedBy`, whatever the body says.
 */
export const OPERATOR_COMMAND_KINDS = [
  "manual",
  "rerun",
  "backfill",
  "backfill-cancel",
  "cancel",
  "pause",
  "resume",
] as const satisfies readonly LaunchCommandKind[];
export type OperatorCommand = Extract<LaunchCommand, { kind: (typeof OPERATOR_COMMAND_KINDS)[number] }>;

export function isOperatorCommand(command: LaunchCommand): command is OperatorCommand {
  return (OPERATOR_COMMAND_KINDS as readonly string[]).includes(command.kind);
}

/** The longest name an operator is recorded under: an IAM principal's `assumed-role/<role>/<session>` fits. */
export const MAX_OPERATOR_CHARACTERS = 256;

/** Start this attempt of a RETRYING run. */
export interface RetryCommand {
  kind: "retry";
  flow: string;
  runId: string;
  attempt: number;
}

/** The longest reason an operator may give (a cancel, a pause): it is kept in the run's history and shown in alerts. */
export const MAX_REASON_CHARACTERS = 500;
