import { z } from "zod";
import type { FlowDefinition } from "../../flows/registry/flow-definition";
import type { FlowRegistry } from "../../flows/registry/flow-registry";
import { applyTransition } from "./apply-transition";
import { parseInput } from "./parse-input";
import { classifyFailure } from "./classify-failure";
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

/** What EventBridge Scheduler, the CLI, upstream successes, retries and the reaper send the launcher. */
export const launchRequestSchema = z
  .object({
    flow: z.string().min(1),
    trigger: z.enum(Object.values(Trigger) as [Trigger, ...Trigger[]]).default(Trigger.manual),
    scheduledTime: z.iso.datetime({ offset: true }).optional(),
    params: z.record(z.string(), z.string()).default({}),
    /** An existing run: the reaper re-driving a stranded launch, or a retry. */
    runId: z.string().optional(),
    /** With `runId`: start this attempt of the run (a scheduled retry). */
    attempt: z.number().int().min(2).optional(),
  })
  .refine((request) => request.runId === undefined || request.runId.startsWith(`${request.flow}/`), {
    message: "runId must belong to the flow",
    path: ["runId"],
  })
  .refine((request) => request.attempt === undefined || request.runId !== undefined, {
    message: "attempt needs the runId it belongs to",
    path: ["attempt"],
  })
  .refine((request) => request.scheduledTime !== undefined || !needsSlot(request.trigger), {
    message: "scheduledTime is required for schedule and backfill triggers",
    path: ["scheduledTime"],
  });
export type LaunchRequest = z.output<typeof launchRequestSchema>;

function needsSlot(trigger: Trigger): boolean {
  return trigger === Trigger.schedule || trigger === Trigger.backfill;
}

/** A launch request that does not match {@link launchRequestSchema}. */
export class InvalidLaunchRequestError extends Error {
  override name = "InvalidLaunchRequestError";
}

export function parseLaunchRequest(input: unknown): LaunchRequest {
  return parseInput(
    launchRequestSchema,
    input,
    (problems) => new InvalidLaunchRequestError(`invalid launch request: ${problems}`),
  );
}

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
 * Records a run and starts its first attempt, exactly once per run id: a repeated request finds the run and
 * launches nothing, unless the earlier launcher died between recording and RunTask, in which case it re-drives the
 * launch with the same client token (ECS returns the task it may already have started). A fire later than the
 * flow's max lateness, or one that would overlap a running run of a `skip` flow, is recorded SKIPPED.
 */
export function createLaunchRun(deps: LaunchRunDeps) {
  return async function launchRun(request: LaunchRequest): Promise<LaunchOutcome> {
    const flow = deps.registry.require(request.flow);
    if (request.attempt !== undefined) return startRetry(deps, flow, request.runId!, request.attempt);
    const now = deps.clock.now();
    const planned = newRun(flow, request, now, deps.nonces);
    const late = lateness(flow, request, now);
    const lock = late ? { holdsLock: false } : await overlap(deps, flow, planned.runId);
    const skipReason = late ?? lock.skipReason;
    const run: NewRun = skipReason
      ? { ...planned, state: RunState.SKIPPED, reason: skipReason }
      : { ...planned, ...(lock.holdsLock && { holdsLock: true }) };
    const created = await deps.runs.create(run);
    if (created.created) {
      await deps.events.publish(announce(created.run, null));
      if (skipReason) return { status: "skipped", run: created.run, reason: skipReason };
    } else if (!(created.run.state === RunState.PENDING && created.run.taskArn === undefined)) {
      // A late duplicate of a run that has ended must not leave the lock it just re-took.
      if (run.holdsLock && isTerminal(created.run.state)) await deps.runs.releaseLock(flow.name, run.runId);
      return { status: "duplicate", run: created.run };
    }
    return startAttempt(deps, flow, created.run);
  };
}

/** Moves a RETRYING run to its next attempt and starts it; a repeated retry request starts nothing more. */
async function startRetry(deps: LaunchRunDeps, flow: FlowDefinition, runId: string, attempt: number) {
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
  const stranded = run.attempt === attempt && run.state === RunState.PENDING && run.taskArn === undefined;
  if (!moved.applied && !stranded) return { status: "duplicate" as const, run };
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
      await deps.retries.schedule({ flow: flow.name, runId: run.runId, attempt: run.attempt + 1 }, retryAt);
    return { status: "retry-scheduled", run: result.run ?? run, reason };
  }
  const result = await applyTransition(deps, { ...base, to: RunState.FAILED, fields: { reason, endedAt: base.at } });
  return { status: "launch-failed", run: result.run ?? run, reason };
}

function lateness(flow: FlowDefinition, request: LaunchRequest, now: Date): string | undefined {
  if (request.trigger !== Trigger.schedule || !request.scheduledTime) return undefined;
  const lateMinutes = (now.getTime() - Date.parse(request.scheduledTime)) / 60_000;
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

function newRun(flow: FlowDefinition, request: LaunchRequest, now: Date, nonces: NonceSource): NewRun {
  const slot = request.scheduledTime === undefined ? undefined : new Date(request.scheduledTime);
  const runId =
    request.runId ??
    (request.trigger === Trigger.schedule && slot
      ? scheduledRunId(flow.name, slot)
      : request.trigger === Trigger.backfill && slot
        ? backfillRunId(flow.name, slot)
        : manualRunId(flow.name, now, nonces.nonce()));
  return {
    runId,
    flow: flow.name,
    trigger: request.trigger,
    ...(slot ? { scheduledFor: slot.toISOString() } : {}),
    params: { ...flow.params, ...request.params },
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
export function createLaunchDownstream(
  deps: Pick<LaunchRunDeps, "registry">,
  launchRun: ReturnType<typeof createLaunchRun>,
) {
  return async function launchDownstream(change: RunStateChanged): Promise<LaunchOutcome[]> {
    if (change.to !== RunState.SUCCEEDED) return [];
    const outcomes: LaunchOutcome[] = [];
    for (const flow of deps.registry.downstreamOf(change.flow)) {
      outcomes.push(
        await launchRun({
          flow: flow.name,
          trigger: Trigger.upstream,
          params: {},
          runId: upstreamRunId(flow.name, change.runId),
        }),
      );
    }
    return outcomes;
  };
}
