import type { RunState } from "./run-state";

/** What started a run. */
export const Trigger = { schedule: "schedule", manual: "manual", backfill: "backfill", upstream: "upstream" } as const;
export type Trigger = (typeof Trigger)[keyof typeof Trigger];

/** Who recorded a change: the component whose view of the world it reflects. */
export type ChangeSource = "launcher" | "recorder" | "reaper" | "cli";

/** One accepted state change, in the order it was accepted. */
export interface RunTransition {
  at: string;
  state: RunState;
  attempt: number;
  source: ChangeSource;
  taskVersion?: number;
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
}

/** A run of a flow: one schedule fire, manual request or backfill slot, across all its attempts. */
export interface Run extends RunOutcomeFields {
  runId: string;
  flow: string;
  trigger: Trigger;
  scheduledFor?: string;
  params: Record<string, string>;
  state: RunState;
  attempt: number;
  maxAttempts: number;
  taskVersion?: number;
  createdAt: string;
  updatedAt: string;
  /** When the current attempt must have ended (created/started + the flow's timeout). */
  deadline: string;
  /** The run holds its flow's overlap lock (policy `skip`) and releases it when it ends. */
  holdsLock?: boolean;
  history: RunTransition[];
}

/** What the launcher records before it asks ECS for a task. */
export type NewRun = Omit<Run, "updatedAt" | "history" | "taskVersion" | keyof RunOutcomeFields> & {
  reason?: string;
};
