import { WATERMARK_PROPOSAL_ATTRIBUTE } from "../../contracts/runs-table";
import type { DataInterval } from "./data-interval";
import type { RunState, Trigger } from "../../contracts/run-states";

/** Who recorded a change: the component whose view of the world it reflects. */
export type ChangeSource = "launcher" | "recorder" | "reaper" | "cli";

/** One accepted state change, in the order it was accepted. */
export interface RunTransition {
  at: string;
  state: RunState;
  attempt: number;
  source: ChangeSource;
  taskVersion?: number;
  /** The attempt's ECS task id, on every change that came with its task: how an attempt's logs are found. */
  taskId?: string;
  exitCode?: number;
  stopCode?: string;
  reason?: string;
}

/** Facts about a run's task, as the last accepted change reported them. */
export interface RunOutcomeFields {
  taskArn?: string;
  exitCode?: number;
  stopCode?: string;
  reason?: string;
  startedAt?: string;
  endedAt?: string;
  /** When a RETRYING run's next attempt is due. */
  retryAt?: string;
  /** The flow's watermark when the current attempt was started, as the container received it. */
  watermarkAtStart?: string;
}

/** A watermark a flow's attempt proposed (written by its container); committed only if that attempt SUCCEEDS. */
export interface WatermarkProposal {
  value: string;
  attempt: number;
  at: string;
}

/**
 * What belongs to one attempt of a run: a new run starts without them and the next attempt starts without the last
 * one's. A field that belongs to an attempt is declared here and in {@link ATTEMPT_FIELDS}, which the compiler holds
 * to this interface; the store's next-attempt reset is read off that list.
 */
export interface AttemptFields extends RunOutcomeFields {
  taskVersion?: number;
  /** The last error RunTask threw for the current attempt, while its launch is retried. */
  lastLaunchError?: string;
  /** How often the reaper re-drove the current attempt's launch (or its retry): a deadline ends only a tried launch. */
  redrives?: number;
  /** What the current attempt proposed as the flow's next watermark. */
  proposedWatermark?: WatermarkProposal;
}

export const ATTEMPT_FIELDS = {
  taskArn: true,
  taskVersion: true,
  exitCode: true,
  stopCode: true,
  reason: true,
  startedAt: true,
  endedAt: true,
  retryAt: true,
  watermarkAtStart: true,
  lastLaunchError: true,
  redrives: true,
  // The flow's container writes it under the contract's name: renaming either side breaks this line.
  [WATERMARK_PROPOSAL_ATTRIBUTE]: true,
} as const satisfies Record<keyof AttemptFields, true>;

/** A run of a flow: one schedule fire, manual request or backfill slot, across all its attempts. */
export interface Run extends AttemptFields {
  runId: string;
  flow: string;
  trigger: Trigger;
  scheduledFor?: string;
  /** The span of data the run is for; every attempt gets the same. */
  dataInterval: DataInterval;
  params: Record<string, string>;
  state: RunState;
  attempt: number;
  /** Attempts planned so far: 1 + the flow's retries, plus one for each infrastructure retry granted. */
  maxAttempts: number;
  /** The flow's `retries` when the run was recorded: how many of its own failures it may retry. */
  flowRetries: number;
  createdAt: string;
  updatedAt: string;
  /** When the current attempt must have ended (created/started + the flow's timeout). */
  deadline: string;
  /** The run holds its flow's overlap lock (policy `skip`) and releases it when it ends. */
  holdsLock?: boolean;
  /**
   * Work still owed after an ending that the launcher, the reaper or an operator wrote: announcing it, stopping its
   * task, releasing its lock. Until it is settled the run stays in the active index, where the reaper finds it.
   */
  settlement?: Settlement;
  /** Who asked for the run by hand (a manual run, a rerun): in AWS, the IAM principal the launcher's URL authenticated. */
  requestedBy?: string;
  /** The run this one re-runs (`data-flows rerun`): same flow, params and data interval. */
  rerunOf?: string;
  /** A fire SKIPPED because its flow was paused: when that pause began. */
  pausedAt?: string;
  /** The backfill that started this run, for one of its slots. */
  backfillId?: string;
  history: RunTransition[];
}

/** What an ending still owes the world. The announcement is always owed; the rest when set. */
export interface Settlement {
  /**
   * Stop the run's task, as the ending wrote it (StopTask tolerates one that has already stopped): decided from the row,
   * so a task the launcher recorded between a reader's look and the ending is stopped too.
   */
  stopTask?: boolean;
  /** Schedule the failed attempt's retry (RETRYING), at the `retryAt` written with it. */
  retry?: boolean;
}

/** What the launcher records before it asks ECS for a task. */
export type NewRun = Omit<Run, "updatedAt" | "history" | keyof AttemptFields> & {
  reason?: string;
};
