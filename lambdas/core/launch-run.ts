import type { FlowDefinition } from "../../flows/registry/flow-definition";
import type { FlowRegistry } from "../../flows/registry/flow-registry";
import { applyTransition } from "./apply-transition";
import { classifyFailure } from "./classify-failure";
import type { LaunchCommand, NewRunCommand, RetryCommand } from "./launch-command";
import type {
  Clock,
  NonceSource,
  RetryScheduler,
  RunEventPublisher,
  RunStateChanged,
  RunStore,
  TaskLauncher,
} from "./ports";
import type { NewRun, Run } from "./run";
import { Trigger } from "./run";
import { announce } from "./run-events";
import { backfillRunId, clientToken, manualRunId, scheduledRunId, startedBy, upstreamRunId } from "./run-id";
import { isTerminal, RunState } from "./run-state";
import type { RetryOptions } from "./retry-policy";
import { retryDecision } from "./retry-policy";

export type LaunchOutcome =
  | { status: "launched"; run: Run; taskArn: string }
  | { status: "duplicate"; run: Run }
  | { status: "skipped"; run: Run; reason: string }
  | { status: "retry-scheduled"; run: Run; reason: string }
  | { status: "launch-failed"; run: Run; reason: string };

export interface LaunchRunDeps {
  registry: FlowRegistry;
  runs: RunStore;
  tasks: TaskLauncher;
  events: RunEventPublisher;
  retries: RetryScheduler;
  retryOptions: RetryOptions;
  clock: Clock;
  nonces: NonceSource;
}

/**
 * The launcher's use cases, one per command kind. A new run is recorded and its first attempt started exactly once per
 * run id: a repeated command finds the run and launches nothing, unless the earlier launcher died between recording
 * and RunTask, in which case the launch is re-driven with the same client token (ECS returns the task it may already
 * have started). A fire later than the flow's max lateness, or one that would overlap an active run of a `skip` flow,
 * is recorded SKIPPED.
 */
export function createLauncher(deps: LaunchRunDeps) {
  const launchNew = createLaunchNew(deps);
  return async function launch(command: LaunchCommand): Promise<LaunchOutcome[]> {
    switch (command.kind) {
      case "schedule":
      case "manual":
      case "backfill":
        return [await launchNew(command)];
      case "retry":
        return [await startRetry(deps, command)];
      case "redrive":
        return [await redrive(deps, command.flow, command.runId)];
      case "upstream":
        return launchDownstream(deps, launchNew, command.change);
    }
  };
}

function createLaunchNew(deps: LaunchRunDeps) {
  return async function launchNew(command: NewRunCommand | UpstreamRunCommand): Promise<LaunchOutcome> {
    const flow = deps.registry.require(command.flow);
    const now = deps.clock.now();
    const planned = newRun(flow, command, now, deps.nonces);
    const late = lateness(flow, command, now);
    const lock = late ? { holdsLock: false } : await overlap(deps, flow, planned.runId);
    const skipReason = late ?? lock.skipReason;
    const run: NewRun = skipReason
      ? { ...planned, state: RunState.SKIPPED, reason: skipReason }
      : { ...planned, ...(lock.holdsLock && { holdsLock: true }) };
    const created = await deps.runs.create(run);
    if (created.created) {
      await deps.events.publish(announce(created.run, null));
      if (skipReason) return { status: "skipped", run: created.run, reason: skipReason };
    } else if (!isStranded(created.run, created.run.attempt)) {
      // A late duplicate of a run that has ended must not leave the lock it just re-took.
      if (run.holdsLock && isTerminal(created.run.state)) await deps.runs.releaseLock(flow.name, run.runId);
      return { status: "duplicate", run: created.run };
    }
    return startAttempt(deps, flow, created.run);
  };
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
  const launched = await deps.tasks.runTask({
    flow: run.flow,
    runId: run.runId,
    attempt: run.attempt,
    params: run.params,
    clientToken: clientToken(run.runId, run.attempt),
    startedBy: startedBy(run.flow),
  });
  const now = deps.clock.now();
  const base = { runId: run.runId, attempt: run.attempt, at: now.toISOString(), source: "launcher" as const };
  if (launched.ok) {
    // Version 0 precedes every ECS event, so an event that got here first wins and this changes nothing.
    const result = await applyTransition(deps, {
      ...base,
      to: RunState.STARTING,
      task: { taskArn: launched.taskArn, version: 0 },
    });
    return { status: "launched", run: result.run ?? run, taskArn: launched.taskArn };
  }
  const reason = launched.detail ? `${launched.reason}: ${launched.detail}` : launched.reason;
  const decision = retryDecision(classifyFailure({ reason }), run.attempt, run.maxAttempts, deps.retryOptions);
  if (decision.retry) {
    const retryAt = new Date(now.getTime() + decision.delaySeconds * 1000);
    const result = await applyTransition(deps, {
      ...base,
      to: RunState.RETRYING,
      fields: { reason, retryAt: retryAt.toISOString(), maxAttempts: decision.maxAttempts },
    });
    if (result.applied)
      await deps.retries.schedule(
        { kind: "retry", flow: flow.name, runId: run.runId, attempt: run.attempt + 1 },
        retryAt,
      );
    return { status: "retry-scheduled", run: result.run ?? run, reason };
  }
  const result = await applyTransition(deps, { ...base, to: RunState.FAILED, fields: { reason, endedAt: base.at } });
  return { status: "launch-failed", run: result.run ?? run, reason };
}

function lateness(flow: FlowDefinition, command: NewRunCommand | UpstreamRunCommand, now: Date): string | undefined {
  if (command.kind !== "schedule") return undefined;
  const lateMinutes = (now.getTime() - Date.parse(command.scheduledTime)) / 60_000;
  if (lateMinutes <= flow.maxLatenessMinutes) return undefined;
  return `late: fired ${Math.round(lateMinutes)} minutes after its slot (max lateness ${flow.maxLatenessMinutes})`;
}

/**
 * For a `skip` flow, takes the flow's lock for this run, or says why not when another run holds it. A holder that
 * has ended (its release was lost) gives the lock up here rather than blocking the flow until the reaper passes.
 */
async function overlap(
  deps: LaunchRunDeps,
  flow: FlowDefinition,
  runId: string,
): Promise<{ holdsLock: boolean; skipReason?: string }> {
  if (flow.overlap !== "skip") return { holdsLock: false };
  const at = deps.clock.now().toISOString();
  let lock = await deps.runs.acquireLock(flow.name, runId, at);
  if (lock.acquired) return { holdsLock: true };
  const holder = await deps.runs.get(lock.holder);
  if (!holder || isTerminal(holder.state)) {
    lock = await deps.runs.acquireLock(flow.name, runId, at, lock.holder);
    if (lock.acquired) return { holdsLock: true };
  }
  return { holdsLock: false, skipReason: `overlap: ${lock.holder} is still ${holder?.state ?? "running"}` };
}

function deadlineFrom(now: Date, flow: FlowDefinition): string {
  return new Date(now.getTime() + flow.timeoutMinutes * 60_000).toISOString();
}

/** A downstream flow's run, started by an upstream run's success: one per upstream run. */
interface UpstreamRunCommand {
  kind: "upstream-run";
  flow: string;
  upstreamRunId: string;
}

const TRIGGER_OF = {
  schedule: Trigger.schedule,
  manual: Trigger.manual,
  backfill: Trigger.backfill,
  "upstream-run": Trigger.upstream,
} as const satisfies Record<(NewRunCommand | UpstreamRunCommand)["kind"], Trigger>;

function newRun(
  flow: FlowDefinition,
  command: NewRunCommand | UpstreamRunCommand,
  now: Date,
  nonces: NonceSource,
): NewRun {
  const slot = "scheduledTime" in command ? new Date(command.scheduledTime) : undefined;
  const runId =
    command.kind === "schedule"
      ? scheduledRunId(flow.name, slot!)
      : command.kind === "backfill"
        ? backfillRunId(flow.name, slot!)
        : command.kind === "upstream-run"
          ? upstreamRunId(flow.name, command.upstreamRunId)
          : manualRunId(flow.name, now, nonces.nonce());
  const params = "params" in command ? command.params : {};
  return {
    runId,
    flow: flow.name,
    trigger: TRIGGER_OF[command.kind],
    ...(slot ? { scheduledFor: slot.toISOString() } : {}),
    params: { ...flow.params, ...params },
    state: RunState.PENDING,
    attempt: 1,
    maxAttempts: flow.retries + 1,
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
): Promise<LaunchOutcome[]> {
  if (change.to !== RunState.SUCCEEDED) return [];
  const outcomes: LaunchOutcome[] = [];
  for (const flow of deps.registry.downstreamOf(change.flow)) {
    outcomes.push(await launchNew({ kind: "upstream-run", flow: flow.name, upstreamRunId: change.runId }));
  }
  return outcomes;
}
