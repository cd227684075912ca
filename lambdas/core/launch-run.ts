import type { FlowDefinition } from "../../flows/registry/flow-definition";
import { checkParams, describeParamProblems } from "../../flows/registry/flow-params";
import type { FlowRegistry } from "../../flows/registry/flow-registry";
import { applyTransition, completeChange, previousState } from "./apply-transition";
import type { CancelOutcome } from "./cancel-run";
import { cancelRun } from "./cancel-run";
import type { BackfillOutcome } from "./run-backfill";
import { createBackfills } from "./run-backfill";
import { once } from "../lazy";
import { classifyFailure } from "./classify-failure";
import type { DataInterval } from "./data-interval";
import { intervalAsOf, intervalEndingAt } from "./data-interval";
import type { LaunchCommand, RetryCommand } from "../../contracts/launch-commands";
import type { NewRunCommand } from "./launch-command";
import { InvalidLaunchRequestError } from "./launch-command";
import type {
  BackfillStore,
  Clock,
  FlowPause,
  FlowStateStore,
  NonceSource,
  RetryScheduler,
  RunEventPublisher,
  RunStore,
  TaskControl,
  TaskLauncher,
} from "./ports";
import type { RunStateChanged } from "../../contracts/run-events";
import type { NewRun, Run } from "./run";
import { Trigger } from "../../contracts/run-states";
import {
  backfillRunId,
  clientToken,
  manualRunId,
  requestedRunId,
  scheduledRunId,
  startedBy,
  upstreamRunId,
} from "./run-id";
import { isTerminal, RunState } from "../../contracts/run-states";
import type { RetryOptions } from "./retry-policy";
import { attemptRecord, retryDecision } from "./retry-policy";
import { isStrayTask } from "./stray-task";
import { runTaskProblems } from "./task-request";

export type LaunchOutcome =
  | { status: "launched"; run: Run; taskArn: string }
  | { status: "duplicate"; run: Run }
  | { status: "skipped"; run: Run; reason: string }
  | { status: "retry-scheduled"; run: Run; reason: string }
  | { status: "launch-failed"; run: Run; reason: string }
  | CancelOutcome;

/** What a command about a flow (not one run) did. */
export type FlowOutcome =
  | BackfillOutcome
  | { status: "paused"; flow: string; pause: FlowPause }
  | { status: "resumed"; flow: string; pause: FlowPause }
  | { status: "not-paused"; flow: string };

export interface LaunchRunDeps {
  registry: FlowRegistry;
  runs: RunStore;
  tasks: TaskLauncher;
  /** Stops a task this launch started that a concurrent launch made a stray (see {@link isStrayTask}). */
  taskControl: Pick<TaskControl, "stopTask">;
  events: RunEventPublisher;
  retries: RetryScheduler;
  /** Pauses (a paused flow's fires are SKIPPED) and watermarks (each attempt starts with its flow's). */
  flowState: FlowStateStore;
  backfills: BackfillStore;
  retryOptions: RetryOptions;
  clock: Clock;
  nonces: NonceSource;
  /** A lock whose holder is not recorded is taken over only after this long: its launcher must have died. */
  lockTakeoverSeconds: number;
}

/** Fresh ids a launch tries when a generated manual run id is taken already (it never is by chance: 50 bits). */
const MANUAL_ID_ATTEMPTS = 3;

/**
 * The launcher's use cases, one per command kind. A new run is recorded and its first attempt started exactly once per
 * run id: a repeated command finds the run and launches nothing, unless the earlier launcher died between recording
 * and RunTask, in which case the launch is re-driven with the same client token (ECS returns the task it may already
 * have started). A fire later than the flow's max lateness, or one that would overlap an active run of a `skip` flow,
 * is recorded SKIPPED. A request ECS could not take is refused before anything is recorded.
 */
export function createLauncher(deps: LaunchRunDeps) {
  const launchNew = createLaunchNew(deps);
  const backfills = createBackfills({
    ...deps,
    launchSlot: (slot) => launchNew({ kind: "backfill-slot", ...slot }),
    cancelRun: (request) => cancelRun(deps, request),
  });
  return async function launch(command: LaunchCommand): Promise<(LaunchOutcome | FlowOutcome)[]> {
    switch (command.kind) {
      case "schedule":
      case "manual":
        return [await launchNew(command)];
      case "rerun":
        return [await rerun(deps, launchNew, command)];
      case "backfill": {
        const { kind: _, ...request } = command;
        return [
          await backfills.start({
            ...request,
            params: checkedParams(deps.registry.require(command.flow), command.params),
          }),
        ];
      }
      case "backfill-advance":
        return [await backfills.advance(command.backfillId)];
      case "backfill-cancel":
        return [await backfills.cancel(command)];
      case "retry":
        return [await startRetry(deps, command)];
      case "redrive":
        return [await redrive(deps, command.flow, command.runId)];
      case "cancel":
        return [await cancelRun(deps, command)];
      case "pause":
      case "resume":
        return [await pauseOrResume(deps, command)];
      case "run-changed": {
        // Both follow-ups may want the run that changed: read it once, and only if one does.
        const changed = once(() => deps.runs.get(command.change.runId));
        return [
          ...(await launchDownstream(deps, launchNew, command.change, changed)),
          ...(await advanceBackfillOf(backfills, command.change, changed)),
        ];
      }
    }
  };
}

/** The run's params checked against its flow's declarations, or the request refused naming each bad param. */
function checkedParams(flow: FlowDefinition, given: Record<string, string>): Record<string, string> {
  const checked = checkParams(flow.params, given);
  if (!checked.ok)
    throw new InvalidLaunchRequestError(`flow "${flow.name}": ${describeParamProblems(checked.problems)}`);
  return checked.params;
}

/** A backfill run ended: its backfill's lanes move on (the reaper does the same each pass, should this be lost). */
async function advanceBackfillOf(
  backfills: ReturnType<typeof createBackfills>,
  change: RunStateChanged,
  changed: () => Promise<Run | undefined>,
): Promise<BackfillOutcome[]> {
  if (change.trigger !== Trigger.backfill || !isTerminal(change.to)) return [];
  const run = await changed();
  return run?.backfillId ? [await backfills.advance(run.backfillId)] : [];
}

/** A new manual run of a run's flow with its params and data interval, linked to it (`rerunOf`). */
async function rerun(
  deps: LaunchRunDeps,
  launchNew: ReturnType<typeof createLaunchNew>,
  command: Extract<LaunchCommand, { kind: "rerun" }>,
): Promise<LaunchOutcome> {
  const original = await deps.runs.get(command.runId);
  if (!original) throw new InvalidLaunchRequestError(`no run ${command.runId}`);
  return launchNew({
    kind: "rerun-run",
    flow: original.flow,
    params: original.params,
    dataInterval: original.dataInterval,
    rerunOf: original.runId,
    ...(command.requestId !== undefined && { requestId: command.requestId }),
  });
}

function createLaunchNew(deps: LaunchRunDeps) {
  return async function launchNew(command: NewRunCommand | InternalRunCommand): Promise<LaunchOutcome> {
    const flow = deps.registry.require(command.flow);
    const params = checkedParams(flow, "params" in command ? command.params : {});
    for (let tries = 1; ; tries += 1) {
      const now = deps.clock.now();
      const planned = newRun(flow, command, params, now, deps.nonces);
      const problems = runTaskProblems({
        flow: flow.name,
        runId: planned.runId,
        attempt: 1,
        params: planned.params,
        dataInterval: planned.dataInterval,
      });
      if (problems.length) throw new InvalidLaunchRequestError(`${flow.name}: ${problems.join("; ")}`);
      const held = lateness(flow, command, now) ?? (await pausedReason(deps, flow, command));
      // A backfill's slots take turns in its lanes (`--max-concurrent`), not the flow's overlap lock.
      const lock =
        held || command.kind === "backfill-slot" ? { holdsLock: false } : await overlap(deps, flow, planned.runId);
      const skipReason = held ?? lock.skipReason;
      const run: NewRun = skipReason
        ? { ...planned, state: RunState.SKIPPED, reason: skipReason, settlement: {} }
        : { ...planned, ...(lock.holdsLock && { holdsLock: true }) };
      const created = await deps.runs.create(run);
      if (created.created) {
        await completeChange(deps, created.run, null);
        if (skipReason) return { status: "skipped", run: created.run, reason: skipReason };
        return startAttempt(deps, flow, created.run);
      }
      const existing = created.run;
      if ((command.kind === "manual" || command.kind === "rerun-run") && !sameRequest(existing, run)) {
        // Another request took this id. Ours generated its nonce: draw another. A client's own request id: refuse.
        if (command.requestId) {
          throw new InvalidLaunchRequestError(
            `requestId: ${command.requestId} already names run ${existing.runId}, with other params`,
          );
        }
        if (tries < MANUAL_ID_ATTEMPTS) continue;
        throw new Error(
          `${flow.name}: ${MANUAL_ID_ATTEMPTS} generated run ids were all taken; is the nonce source random?`,
        );
      }
      return resumeExisting(deps, flow, existing, run.holdsLock === true);
    }
  };
}

/** A second request for a run that exists: finish what an earlier launcher left undone, or report the duplicate. */
async function resumeExisting(
  deps: LaunchRunDeps,
  flow: FlowDefinition,
  run: Run,
  tookLock: boolean,
): Promise<LaunchOutcome> {
  if (isStranded(run, run.attempt)) return startAttempt(deps, flow, run);
  // An ending this launcher (or another) wrote but could not finish announcing: finish it now.
  if (run.settlement) await completeChange(deps, run, previousState(run));
  // A late duplicate of a run that has ended must not leave the lock it just re-took.
  else if (tookLock && isTerminal(run.state)) await deps.runs.releaseLock(flow.name, run.runId);
  return { status: "duplicate", run };
}

/** Whether two new runs are the same request: the same flow, trigger, slot and params. */
function sameRequest(existing: Run, requested: NewRun): boolean {
  return (
    existing.trigger === requested.trigger &&
    existing.scheduledFor === requested.scheduledFor &&
    existing.dataInterval.start === requested.dataInterval.start &&
    existing.dataInterval.end === requested.dataInterval.end &&
    JSON.stringify(sorted(existing.params)) === JSON.stringify(sorted(requested.params))
  );
}

function sorted(params: Record<string, string>): [string, string][] {
  return Object.entries(params).sort(([a], [b]) => a.localeCompare(b));
}

/** A run whose launcher died between recording it and RunTask: PENDING on this attempt, with no task. */
function isStranded(run: Run, attempt: number): boolean {
  return run.attempt === attempt && run.state === RunState.PENDING && run.taskArn === undefined;
}

/** Starts the launch of a stranded run again, with the same client token; anything else is left as it is. */
async function redrive(deps: LaunchRunDeps, flowName: string, runId: string): Promise<LaunchOutcome> {
  const flow = deps.registry.require(flowName);
  const run = await deps.runs.get(runId);
  if (!run) throw new Error(`re-drive of unknown run ${runId}`);
  if (!isStranded(run, run.attempt)) return { status: "duplicate", run };
  return startAttempt(deps, flow, run);
}

/** Moves a RETRYING run to its next attempt and starts it; a repeated retry request starts nothing more. */
async function startRetry(deps: LaunchRunDeps, command: RetryCommand): Promise<LaunchOutcome> {
  const flow = deps.registry.require(command.flow);
  const { runId, attempt } = command;
  // The failed attempt's announcement, if still owed, is made before the next attempt takes its place.
  const failed = await deps.runs.get(runId);
  if (failed?.state === RunState.RETRYING && failed.attempt === attempt - 1 && failed.settlement) {
    await completeChange(deps, failed, previousState(failed));
  }
  const now = deps.clock.now();
  const moved = await applyTransition(deps, {
    runId,
    attempt: attempt - 1,
    to: RunState.PENDING,
    at: now.toISOString(),
    source: "launcher",
    nextAttempt: { deadline: deadlineFrom(now, flow) },
  });
  const run = moved.applied ? moved.run : await deps.runs.get(runId);
  if (!run) throw new Error(`retry of unknown run ${runId}`);
  if (!moved.applied && !isStranded(run, attempt)) return { status: "duplicate", run };
  return startAttempt(deps, flow, run);
}

async function startAttempt(deps: LaunchRunDeps, flow: FlowDefinition, run: Run): Promise<LaunchOutcome> {
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
    const result = await applyTransition(deps, {
      ...base,
      to: RunState.RETRYING,
      fields: { reason, retryAt: retryAt.toISOString(), maxAttempts: decision.maxAttempts },
      settle: {},
    });
    if (result.applied) {
      await deps.retries.schedule(
        { kind: "retry", flow: flow.name, runId: run.runId, attempt: run.attempt + 1 },
        retryAt,
      );
    }
    return { status: "retry-scheduled", run: result.run ?? run, reason };
  }
  const result = await applyTransition(deps, {
    ...base,
    to: RunState.FAILED,
    fields: { reason, endedAt: base.at },
    settle: {},
  });
  return { status: "launch-failed", run: result.run ?? run, reason };
}

/**
 * Why a fire of a paused flow is held: `paused by <who> at <when>: <why>`. Only what starts itself is held (a schedule
 * fire, an upstream success); an operator's own run, rerun or backfill goes ahead.
 */
async function pausedReason(
  deps: LaunchRunDeps,
  flow: FlowDefinition,
  command: NewRunCommand | InternalRunCommand,
): Promise<string | undefined> {
  if (command.kind !== "schedule" && command.kind !== "upstream-run") return undefined;
  const pause = await deps.flowState.pauseOf(flow.name);
  if (!pause) return undefined;
  return `paused by ${pause.pausedBy} at ${pause.pausedAt}${pause.reason ? `: ${pause.reason}` : ""}`;
}

/** Pauses or resumes a flow's fires. Both are idempotent: pausing a paused flow keeps the first pause. */
async function pauseOrResume(
  deps: LaunchRunDeps,
  command: Extract<LaunchCommand, { kind: "pause" | "resume" }>,
): Promise<FlowOutcome> {
  const flow = deps.registry.require(command.flow).name;
  if (command.kind === "pause") {
    const pause = await deps.flowState.pause(flow, {
      pausedBy: command.requestedBy,
      pausedAt: deps.clock.now().toISOString(),
      ...(command.reason !== undefined && { reason: command.reason }),
    });
    return { status: "paused", flow, pause };
  }
  const lifted = await deps.flowState.resume(flow);
  return lifted ? { status: "resumed", flow, pause: lifted } : { status: "not-paused", flow };
}

function lateness(flow: FlowDefinition, command: NewRunCommand | InternalRunCommand, now: Date): string | undefined {
  if (command.kind !== "schedule") return undefined;
  const lateMinutes = (now.getTime() - Date.parse(command.scheduledTime)) / 60_000;
  if (lateMinutes <= flow.maxLatenessMinutes) return undefined;
  return `late: fired ${Math.round(lateMinutes)} minutes after its slot (max lateness ${flow.maxLatenessMinutes})`;
}

/**
 * For a `skip` flow, takes the flow's lock for this run, or says why not when another run holds it. The lock is
 * taken over only from a holder proven gone: a run that has ended (its release was lost), or one that was never
 * recorded although its lock is older than any launcher takes to record it. A holder not recorded *yet* keeps it.
 */
async function overlap(
  deps: LaunchRunDeps,
  flow: FlowDefinition,
  runId: string,
): Promise<{ holdsLock: boolean; skipReason?: string }> {
  if (flow.overlap !== "skip") return { holdsLock: false };
  const now = deps.clock.now();
  let lock = await deps.runs.acquireLock(flow.name, runId, now.toISOString());
  if (lock.acquired) return { holdsLock: true };
  const holder = await deps.runs.get(lock.holder);
  const gone = holder
    ? isTerminal(holder.state)
    : (now.getTime() - Date.parse(lock.acquiredAt)) / 1000 >= deps.lockTakeoverSeconds;
  if (gone) {
    lock = await deps.runs.acquireLock(flow.name, runId, now.toISOString(), lock.holder);
    if (lock.acquired) return { holdsLock: true };
  }
  const state = holder?.state ?? "being recorded";
  return { holdsLock: false, skipReason: `overlap: ${lock.holder} is still ${state}` };
}

function deadlineFrom(now: Date, flow: FlowDefinition): string {
  return new Date(now.getTime() + flow.timeoutMinutes * 60_000).toISOString();
}

/** The runs the launcher starts on its own account: for an upstream success, a backfill slot, a rerun. */
type InternalRunCommand =
  | {
      /** A downstream flow's run, started by an upstream run's success: one per upstream run. */
      kind: "upstream-run";
      flow: string;
      upstreamRunId: string;
      /** The upstream run's interval: the downstream run processes what it produced. */
      dataInterval: DataInterval;
    }
  | { kind: "backfill-slot"; flow: string; scheduledTime: string; params: Record<string, string>; backfillId: string }
  | {
      kind: "rerun-run";
      flow: string;
      params: Record<string, string>;
      dataInterval: DataInterval;
      rerunOf: string;
      requestId?: string;
    };

const TRIGGER_OF = {
  schedule: Trigger.schedule,
  manual: Trigger.manual,
  "rerun-run": Trigger.manual,
  "backfill-slot": Trigger.backfill,
  "upstream-run": Trigger.upstream,
} as const satisfies Record<(NewRunCommand | InternalRunCommand)["kind"], Trigger>;

/** The run a command asks for; `params` are the run's effective params, already checked against the flow's. */
function newRun(
  flow: FlowDefinition,
  command: NewRunCommand | InternalRunCommand,
  params: Record<string, string>,
  now: Date,
  nonces: NonceSource,
): NewRun {
  const slot = "scheduledTime" in command ? new Date(command.scheduledTime) : undefined;
  const runId =
    command.kind === "schedule"
      ? scheduledRunId(flow.name, slot!)
      : command.kind === "backfill-slot"
        ? backfillRunId(flow.name, slot!)
        : command.kind === "upstream-run"
          ? upstreamRunId(flow.name, command.upstreamRunId)
          : command.requestId !== undefined
            ? requestedRunId(flow.name, command.requestId)
            : manualRunId(flow.name, now, nonces.nonce());
  const dataInterval =
    command.kind === "upstream-run" || command.kind === "rerun-run"
      ? command.dataInterval
      : slot
        ? intervalEndingAt(flow, slot)
        : intervalAsOf(flow, command.kind === "manual" && command.at ? new Date(command.at) : now);
  return {
    runId,
    flow: flow.name,
    trigger: TRIGGER_OF[command.kind],
    ...(slot ? { scheduledFor: slot.toISOString() } : {}),
    ...(command.kind === "backfill-slot" && { backfillId: command.backfillId }),
    ...(command.kind === "rerun-run" && { rerunOf: command.rerunOf }),
    dataInterval,
    params,
    state: RunState.PENDING,
    attempt: 1,
    maxAttempts: flow.retries + 1,
    flowRetries: flow.retries,
    createdAt: now.toISOString(),
    deadline: deadlineFrom(now, flow),
  };
}

/**
 * Starts the flows that follow `change.flow` when it succeeds, each once per upstream run (a redelivered success
 * finds the downstream run recorded and launches nothing).
 */
async function launchDownstream(
  deps: Pick<LaunchRunDeps, "registry">,
  launchNew: ReturnType<typeof createLaunchNew>,
  change: RunStateChanged,
  changed: () => Promise<Run | undefined>,
): Promise<LaunchOutcome[]> {
  if (change.to !== RunState.SUCCEEDED) return [];
  const outcomes: LaunchOutcome[] = [];
  const downstream = deps.registry.downstreamOf(change.flow);
  if (!downstream.length) return outcomes;
  const upstream = await changed();
  for (const flow of downstream) {
    const dataInterval = upstream?.dataInterval ?? intervalAsOf(flow, new Date(change.at));
    outcomes.push(
      await launchNew({ kind: "upstream-run", flow: flow.name, upstreamRunId: change.runId, dataInterval }),
    );
  }
  return outcomes;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
