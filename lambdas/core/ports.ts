import type { BackfillSchedule } from "./backfill-plan";
import type { DataInterval } from "./data-interval";
import type { LaunchCommand, RetryCommand } from "../../contracts/launch-commands";
import type { ChangeSource, NewRun, Run, RunOutcomeFields, Settlement } from "./run";
import type { RunStateChanged } from "../../contracts/run-events";
import type { RunState } from "../../contracts/run-states";
import type { RunReference } from "../../contracts/task-environment";
import type { TaskObservation } from "./task-observation";

export interface RunListOptions {
  limit: number;
  state?: RunState;
  trigger?: Run["trigger"];
  since?: string;
  before?: string;
}

/** A request to move one attempt of a run to a new state. */
export interface TransitionRequest {
  runId: string;
  attempt: number;
  to: RunState;
  at: string;
  source: ChangeSource;
  /**
   * The task this change comes from. The store accepts it only if the run has no task yet or this same task, and
   * only if `version` (ECS `detail.version`) is newer than the last one accepted: duplicates and stale or
   * out-of-order events change nothing.
   */
  task?: { taskArn: string; version: number };
  /** Facts to record with the change; the task's ARN comes from `task`. */
  fields?: Omit<RunOutcomeFields, "taskArn"> & { maxAttempts?: number; pausedAt?: string };
  /** Only while the attempt has no task: a launch's failure must not overwrite an attempt a concurrent launch started. */
  withoutTask?: boolean;
  /** Only while the run owes nothing (its `settlement` paid): a change must not drop the work an earlier one owes. */
  withoutSettlement?: boolean;
  /**
   * Moves the run to its next attempt (RETRYING → PENDING): `attempt` is the attempt it is leaving; the task and its
   * outcome are cleared and the new attempt gets its own deadline.
   */
  nextAttempt?: { deadline: string };
  /**
   * What the change still owes (always its announcement) once written: an ending written by anyone but the recorder,
   * or a failed attempt (RETRYING), whose announcement a later attempt could otherwise overtake. The run stays in the
   * active index until {@link RunStore.settle} says the debt is paid, so a failed side effect is retried (by the
   * handler's retry, the next attempt, or the reaper) instead of being lost.
   */
  settle?: Settlement;
}

/** Why a transition was not applied. */
export type RejectionReason =
  | "unknown-run"
  | "terminal"
  | "other-attempt"
  | "attempt-over"
  | "other-task"
  | "has-task"
  | "owes-settlement"
  | "duplicate"
  | "stale"
  | "not-allowed";

export type TransitionResult =
  { applied: true; from: RunState; run: Run } | { applied: false; reason: RejectionReason; run?: Run };

export type CreateResult = { created: true; run: Run } | { created: false; run: Run };

/** Runs and their history. Every write is conditional, so concurrent and repeated deliveries are safe. */
export interface RunStore {
  /** Records a new run unless one with its id exists, in which case the existing run is returned. */
  create(run: NewRun): Promise<CreateResult>;
  get(runId: string): Promise<Run | undefined>;
  /** Applies one state change atomically with its history entry, or explains why not. */
  transition(request: TransitionRequest): Promise<TransitionResult>;
  /**
   * A flow's runs, newest first: optionally only one state or trigger, and only those created in `[since, before)`
   * (ISO instants), which is how a caller pages back through them.
   */
  listByFlow(flow: string, options: RunListOptions): Promise<Run[]>;
  /**
   * One page of a flow's active runs (not terminal, or ended with a settlement still owed), earliest deadline first;
   * `cursor` continues where the last page stopped.
   */
  listActivePage(flow: string, options: { limit: number; cursor?: string }): Promise<{ runs: Run[]; cursor?: string }>;
  /** Records why the current attempt's launch failed, without changing its state (its deadline still runs). */
  noteLaunchError(runId: string, attempt: number, error: string): Promise<void>;
  /** Counts one more re-drive of the current attempt's launch or retry (the reaper's, after its grace). */
  noteRedrive(runId: string, attempt: number): Promise<void>;
  /** Marks a change's settlement paid; an ended run leaves the active index. A no-op when nothing is owed. */
  settle(runId: string, ended: boolean): Promise<void>;
  /**
   * Takes the flow's overlap lock for a run (or confirms the run holds it). `staleHolder` takes it from a holder
   * known to have ended, and only from that holder.
   */
  acquireLock(flow: string, runId: string, at: string, staleHolder?: string): Promise<LockResult>;
  /** Releases the lock if `runId` holds it. */
  releaseLock(flow: string, runId: string): Promise<void>;
  /** The run holding the flow's lock, and since when, if any. */
  lockHolder(flow: string): Promise<{ runId: string; acquiredAt: string } | undefined>;
}

/** An operator paused a flow: its schedule (and upstream) fires are recorded SKIPPED until it is resumed. */
export interface FlowPause {
  pausedBy: string;
  pausedAt: string;
  reason?: string;
}

/** The last value a flow committed (its high-water mark), by the run whose success committed it. */
export interface Watermark {
  value: string;
  runId: string;
  committedAt: string;
}

/**
 * What operators and successes set on a flow, beside its runs: pauses and watermarks. Items of the runs table, never
 * Terraform, so a deploy never fights an operator's pause.
 */
export interface FlowStateStore {
  /** Pauses the flow; an existing pause is kept (who paused first, and why) and returned. */
  pause(flow: string, pause: FlowPause): Promise<FlowPause>;
  /** Lifts the pause, returning the one lifted (undefined when the flow was not paused). */
  resume(flow: string): Promise<FlowPause | undefined>;
  pauseOf(flow: string): Promise<FlowPause | undefined>;
  watermarkOf(flow: string): Promise<Watermark | undefined>;
  /**
   * Moves the flow's watermark to `watermark.value` if it is greater (compared as text: ISO 8601 instants and
   * zero-padded numbers order as text does); a smaller or equal value (a late, out-of-order success) keeps it.
   */
  commitWatermark(flow: string, watermark: Watermark): Promise<"advanced" | "kept">;
}

/** A backfill: one run per schedule slot of a range, at most `maxConcurrent` at a time (see `backfill-plan.ts`). */
export interface Backfill {
  backfillId: string;
  flow: string;
  /** The range, ISO 8601: every slot s with from ≤ s ≤ to. */
  from: string;
  to: string;
  schedule: BackfillSchedule;
  slotCount: number;
  maxConcurrent: number;
  params: Record<string, string>;
  requestedBy: string;
  createdAt: string;
  /** FAILED: a slot could not be launched at all (ECS refused it, or the flow no longer takes the request). */
  state: "ACTIVE" | "DONE" | "CANCELLED" | "FAILED";
  /** Per lane, the index of its head slot: the next slot of the lane not yet seen ended (≥ slotCount: done). */
  lanes: number[];
  endedAt?: string;
  /** For a cancelled backfill: who, and why. */
  reason?: string;
}

/** Backfills, beside the runs they start. */
export interface BackfillStore {
  /** Records a backfill unless one with its id exists, which is returned instead. */
  create(backfill: Backfill): Promise<{ created: boolean; backfill: Backfill }>;
  get(backfillId: string): Promise<Backfill | undefined>;
  /**
   * Moves a lane's head from `from` to `to` while the backfill is ACTIVE, answering with the backfill as written;
   * undefined when someone else moved it first or the backfill ended.
   */
  advanceLane(backfillId: string, lane: number, from: number, to: number): Promise<Backfill | undefined>;
  /** Ends an ACTIVE backfill (DONE, or CANCELLED or FAILED with a reason); the backfill as it now is. */
  finish(
    backfillId: string,
    ending: { state: "DONE" | "CANCELLED" | "FAILED"; at: string; reason?: string },
  ): Promise<Backfill | undefined>;
  /** The backfills still ACTIVE, oldest first: what the reaper keeps moving. */
  listActive(options: { limit: number }): Promise<Backfill[]>;
}

export type LockResult = { acquired: true } | { acquired: false; holder: string; acquiredAt: string };

export interface TaskRequest {
  flow: string;
  runId: string;
  attempt: number;
  params: Record<string, string>;
  dataInterval: DataInterval;
  /** The flow's watermark as the attempt starts, if it has one. */
  watermark?: string;
  clientToken: string;
  startedBy: string;
}

/**
 * ECS started no task: it answered with `failures[]` (e.g. no Fargate capacity), or it refused the request itself
 * (`refused`: an inactive task definition, a denied call, an invalid parameter), which no retry will change.
 */
export interface TaskLaunchFailure {
  ok: false;
  reason: string;
  detail?: string;
  refused?: boolean;
}

export type TaskLaunchResult = { ok: true; taskArn: string } | TaskLaunchFailure;

/**
 * Starts flow containers. Must be idempotent on `clientToken`. Throws only for faults another try may not meet
 * (throttling, a network error); everything ECS decided is an answer.
 */
export interface TaskLauncher {
  runTask(request: TaskRequest): Promise<TaskLaunchResult>;
}

export interface RunEventPublisher {
  publish(change: RunStateChanged): Promise<void>;
}

export interface Clock {
  now(): Date;
}

/** What a handler knows of the invocation running it: when the platform will stop it. */
export interface Invocation {
  /** Work must be done (or handed back to a retry) before this instant. */
  deadline: Date;
}

/** Short random strings for manual run ids. */
export interface NonceSource {
  nonce(): string;
}

/**
 * How sure a delivery is: `confirmed` when the receiver said so, `uncertain` when the message reached it but its
 * answer did not come back (it is then taken as delivered: posting again would page twice).
 */
export type Delivery = "confirmed" | "uncertain";

/**
 * Slack, or wherever on-call reads. Resolves once the message is delivered; throws when it was not (or could not be
 * before `deadline`), so the event is retried.
 */
export interface Notifier {
  post(message: { text: string; blocks: object[] }, options?: { deadline?: Date }): Promise<Delivery>;
}

/**
 * One marker per alert, claimed before posting and completed after, so an alert is posted once. A claim expires at
 * the claimer's deadline: a poster that was killed mid-post does not block the retry forever. An alert is about a
 * `subject`: a run (its id), or a flow (its name, for a pause's one notice).
 */
export interface AlertMarkers {
  /** True when this call claimed the marker: it did not exist, or its claim expired unposted. */
  claim(subject: string, key: string, options: { until: Date }): Promise<boolean>;
  /** The alert went out: the marker stays, and no later claim succeeds. */
  complete(subject: string, key: string, delivery: Delivery): Promise<void>;
  /** Gives the marker back after a failed post, so the retried event can post. */
  release(subject: string, key: string): Promise<void>;
}

/** Where a task's log lines are and how to read the last of them. */
export interface TaskLogs {
  link(flow: string, taskArn: string): string;
  tail(flow: string, taskArn: string, lines: number): Promise<string[]>;
}

/** What DescribeTasks said of one task: how it is now, or that ECS no longer knows it (it forgets stopped tasks). */
export type TaskLookup = { found: true; task: TaskObservation } | { found: false };

/** A task ECS is running in the cluster that data-flows started (`startedBy` `df/…`), and the run it says it is of. */
export interface RunningTask {
  taskArn: string;
  run?: RunReference;
  /** Asked to stop, and not stopped yet (listed only with `includeStopping`). */
  stopping?: boolean;
}

/** Stops and inspects running tasks: what the reaper needs of ECS. */
export interface TaskControl {
  stopTask(taskArn: string, reason: string): Promise<void>;
  /** What ECS says of each task; a task it gave no answer for (a transient failure) is absent from the map. */
  describeTasks(taskArns: readonly string[]): Promise<Map<string, TaskLookup>>;
  /**
   * Every task of the cluster still meant to run that data-flows started (or only one flow's): what the reaper holds
   * to the runs, and what a run's next attempt waits for.
   */
  listRunning(options?: { flow?: string; includeStopping?: boolean }): Promise<RunningTask[]>;
}

/** Starts a run's next attempt later, without anything waiting in between. */
export interface RetryScheduler {
  schedule(command: RetryCommand, at: Date): Promise<void>;
  /** Withdraws a scheduled attempt (its run was cancelled); one already gone, or never made, is fine. */
  cancel(command: RetryCommand): Promise<void>;
}

/** Hands the launcher a command to carry out asynchronously (Lambda's Event invocation in AWS). */
export interface LaunchQueue {
  send(command: LaunchCommand): Promise<void>;
}
