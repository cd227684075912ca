import type { FlowDefinition } from "../../flows/registry/flow-definition";
import type { FlowRegistry } from "../../flows/registry/flow-registry";
import type { RetryCommand } from "../../contracts/launch-commands";
import { RunState, Trigger } from "../../contracts/run-states";
import type { ChangeDeps } from "./apply-transition";
import { applyTransition, completeChange, previousState } from "./apply-transition";
import { classifyFailure } from "./classify-failure";
import type {
  Clock,
  FlowPause,
  FlowStateStore,
  RetryScheduler,
  TaskControl,
  TaskLauncher,
  TransitionRequest,
} from "./ports";
import type { RetryOptions } from "./retry-policy";
import { attemptRecord, retryDecision } from "./retry-policy";
import type { Run, Settlement } from "./run";
import { clientToken, startedBy } from "./run-id";
import { attemptDeadline } from "./run-request";
import { isStrayTask } from "./stray-task";

/** What one attempt's launch became. */
export type AttemptOutcome =
  | { status: "launched"; run: Run; taskArn: string }
  | { status: "duplicate"; run: Run }
  | { status: "skipped"; run: Run; reason: string }
  /** An earlier attempt's task is still running (a stray, being stopped): this one starts once it has stopped. */
  | { status: "retry-postponed"; run: Run; reason: string }
  | { status: "retry-scheduled"; run: Run; reason: string }
  | { status: "launch-failed"; run: Run; reason: string };

export interface AttemptDeps extends ChangeDeps {
  registry: FlowRegistry;
  tasks: TaskLauncher;
  /**
   * Stops a task this launch started that a concurrent launch made a stray (see {@link isStrayTask}), and lists the
   * run's earlier tasks a next attempt waits for.
   */
  taskControl: Pick<TaskControl, "stopTask" | "listRunning">;
  retries: RetryScheduler;
  /** Watermarks: each attempt starts with its flow's. */
  flowState: FlowStateStore;
  retryOptions: RetryOptions;
  clock: Clock;
}

/** A run whose launcher died between recording it and RunTask: PENDING on this attempt, with no task. */
export function isStranded(run: Run, attempt: number): boolean {
  return run.attempt === attempt && run.state === RunState.PENDING && run.taskArn === undefined;
}

/** Starts the launch of a stranded run again, with the same client token; anything else is left as it is. */
export async function redrive(deps: AttemptDeps, flowName: string, runId: string): Promise<AttemptOutcome> {
  const flow = deps.registry.require(flowName);
  const run = await deps.runs.get(runId);
  if (!run) throw new Error(`re-drive of unknown run ${runId}`);
  if (!isStranded(run, run.attempt)) return { status: "duplicate", run };
  return startAttempt(deps, flow, run);
}

/** Moves a RETRYING run to its next attempt and starts it; a repeated retry request starts nothing more. */
export async function startRetry(deps: AttemptDeps, command: RetryCommand): Promise<AttemptOutcome> {
  const flow = deps.registry.require(command.flow);
  const { runId, attempt } = command;
  // The failed attempt's announcement, if still owed, is made before the next attempt takes its place; its retry is
  // owed no more, as this is it.
  const failed = await deps.runs.get(runId);
  if (failed?.state === RunState.RETRYING && failed.attempt === attempt - 1 && failed.settlement) {
    const { retry: _, ...owed } = failed.settlement;
    await completeChange(deps, { ...failed, settlement: owed }, previousState(failed));
  }
  const now = deps.clock.now();
  const moved = await applyTransition(deps, {
    runId,
    attempt: attempt - 1,
    to: RunState.PENDING,
    at: now.toISOString(),
    source: "launcher",
    nextAttempt: { deadline: attemptDeadline(now, flow) },
  });
  const run = moved.applied ? moved.run : await deps.runs.get(runId);
  if (!run) throw new Error(`retry of unknown run ${runId}`);
  if (!moved.applied && !isStranded(run, attempt)) return { status: "duplicate", run };
  return startAttempt(deps, flow, run);
}

/**
 * Asks ECS for the current attempt's task and records what it answered: STARTING with the task, RETRYING when it
 * found no capacity and the run has attempts left, FAILED when it refused the request.
 */
export async function startAttempt(deps: AttemptDeps, flow: FlowDefinition, run: Run): Promise<AttemptOutcome> {
  const held = (await heldByPause(deps, run)) ?? (await waitForEarlierTasks(deps, run));
  if (held) return held;
  // Read at every attempt of a flow that keeps one: a retry starts from what the last success committed. Other
  // flows' launches read nothing more.
  const watermark = flow.watermark ? (await deps.flowState.watermarkOf(run.flow))?.value : undefined;
  let launched;
  try {
    launched = await deps.tasks.runTask({
      flow: run.flow,
      runId: run.runId,
      attempt: run.attempt,
      params: run.params,
      dataInterval: run.dataInterval,
      ...(watermark !== undefined && { watermark }),
      clientToken: clientToken(run.runId, run.attempt),
      startedBy: startedBy(run.flow),
    });
  } catch (error) {
    // A fault that another try may not meet (throttling, a network error): the platform retries this invocation,
    // and the reaper ends the run at its launch deadline if it never gets a task; remember why until then.
    await deps.runs.noteLaunchError(run.runId, run.attempt, describe(error));
    throw error;
  }
  const now = deps.clock.now();
  const base = { runId: run.runId, attempt: run.attempt, at: now.toISOString(), source: "launcher" as const };
  if (launched.ok) {
    // Version 0 precedes every ECS event, so an event that got here first wins and this changes nothing.
    const result = await applyTransition(deps, {
      ...base,
      to: RunState.STARTING,
      task: { taskArn: launched.taskArn, version: 0 },
      ...(watermark !== undefined && { fields: { watermarkAtStart: watermark } }),
    });
    if (!result.applied && result.run && isStrayTask(result.run, { taskArn: launched.taskArn, attempt: run.attempt })) {
      // A concurrent launch of this attempt ended it (no capacity) or started another task: this one has no run.
      await deps.taskControl.stopTask(
        launched.taskArn,
        `data-flows: stray task of ${run.runId} attempt ${run.attempt} (the run is at attempt ${result.run.attempt}, ${result.run.state})`,
      );
      return { status: "duplicate", run: result.run };
    }
    return { status: "launched", run: result.run ?? run, taskArn: launched.taskArn };
  }
  const reason = launched.detail ? `${launched.reason}: ${launched.detail}` : launched.reason;
  const decision = launched.refused
    ? { retry: false as const }
    : retryDecision(classifyFailure({ reason }), attemptRecord(run), deps.retryOptions);
  if (decision.retry) {
    const retryAt = new Date(now.getTime() + decision.delaySeconds * 1000);
    const move = { to: RunState.RETRYING, settle: { retry: true } };
    const fields = { reason, retryAt: retryAt.toISOString(), maxAttempts: decision.maxAttempts };
    return endWithoutTask(deps, run, { ...move, at: base.at, fields }, (moved) => ({
      status: "retry-scheduled",
      run: moved,
      reason,
    }));
  }
  return endWithoutTask(
    deps,
    run,
    { to: RunState.FAILED, at: base.at, fields: { reason, endedAt: base.at } },
    (moved) => ({
      status: "launch-failed",
      run: moved,
      reason,
    }),
  );
}

/**
 * Moves an attempt that got no task (its launch failed, or a pause held it), only while it still has none: a
 * concurrent launch of it may have started one, which this must not overwrite (that task would run on unwatched, and
 * the next attempt run the flow again). Another change got there first: a duplicate.
 */
async function endWithoutTask(
  deps: AttemptDeps,
  run: Run,
  move: { to: RunState; at: string; fields: NonNullable<TransitionRequest["fields"]>; settle?: Settlement },
  outcome: (moved: Run) => AttemptOutcome,
): Promise<AttemptOutcome> {
  const result = await applyTransition(deps, {
    runId: run.runId,
    attempt: run.attempt,
    source: "launcher",
    settle: {},
    ...move,
    withoutTask: true,
  });
  return result.applied ? outcome(result.run) : { status: "duplicate", run: result.run ?? run };
}

/**
 * A fire (a schedule's or an upstream success's first attempt) whose flow was paused after its own check, while it was
 * being recorded: read again now, after the run's write and before any RunTask, so a fire that read "not paused"
 * before the pause was written is the only kind that launches. It moves to SKIPPED instead.
 */
async function heldByPause(deps: AttemptDeps, run: Run): Promise<AttemptOutcome | undefined> {
  if (run.attempt !== 1 || (run.trigger !== Trigger.schedule && run.trigger !== Trigger.upstream)) return undefined;
  const pause = await deps.flowState.pauseOf(run.flow);
  if (!pause) return undefined;
  const at = deps.clock.now().toISOString();
  const reason = pausedReason(pause);
  const fields = { reason, endedAt: at, pausedAt: pause.pausedAt };
  return endWithoutTask(deps, run, { to: RunState.SKIPPED, at, fields }, (moved) => ({
    status: "skipped",
    run: moved,
    reason,
  }));
}

/**
 * A next attempt never runs beside an earlier one: a task of an earlier attempt that is still running (a stray a
 * racing launch left, whose stop failed) is stopped, and this attempt waits, PENDING with no task, for the reaper's
 * re-drive once it has stopped.
 */
async function waitForEarlierTasks(deps: AttemptDeps, run: Run): Promise<AttemptOutcome | undefined> {
  if (run.attempt === 1) return undefined;
  const earlier = (await deps.taskControl.listRunning({ flow: run.flow, includeStopping: true })).filter(
    (task) => task.run?.runId === run.runId && task.run.attempt < run.attempt,
  );
  if (earlier.length === 0) return undefined;
  for (const task of earlier.filter((running) => !running.stopping)) {
    await deps.taskControl.stopTask(
      task.taskArn,
      `data-flows: stray task of ${run.runId} attempt ${task.run!.attempt} (attempt ${run.attempt} waits for it to stop)`,
    );
  }
  const reason = `attempt ${run.attempt} waits for ${earlier.length} task(s) of an earlier attempt to stop`;
  return { status: "retry-postponed", run, reason };
}

/** Why a fire of a paused flow is held: `paused by <who> at <when>: <why>`. */
export function pausedReason(pause: FlowPause): string {
  return `paused by ${pause.pausedBy} at ${pause.pausedAt}${pause.reason ? `: ${pause.reason}` : ""}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
