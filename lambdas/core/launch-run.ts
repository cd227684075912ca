import { z } from "zod";
import type { FlowDefinition } from "../../flows/registry/flow-definition";
import type { FlowRegistry } from "../../flows/registry/flow-registry";
import type {
  Clock,
  NonceSource,
  RunEventPublisher,
  RunStateChanged,
  RunStore,
  TaskLauncher,
  TransitionResult,
} from "./ports";
import type { NewRun, Run } from "./run";
import { Trigger } from "./run";
import { backfillRunId, clientToken, manualRunId, scheduledRunId, startedBy, upstreamRunId } from "./run-id";
import { RunState } from "./run-state";
import { announce } from "./run-events";

/** What EventBridge Scheduler, the CLI and upstream flows send the launcher. */
export const launchRequestSchema = z
  .object({
    flow: z.string().min(1),
    trigger: z.enum(Object.values(Trigger) as [Trigger, ...Trigger[]]).default(Trigger.manual),
    scheduledTime: z.iso.datetime({ offset: true }).optional(),
    params: z.record(z.string(), z.string()).default({}),
    /** Set only by the reaper when it re-drives a run whose launcher died before RunTask. */
    runId: z.string().optional(),
  })
  .refine((request) => request.runId === undefined || request.runId.startsWith(`${request.flow}/`), {
    message: "runId must belong to the flow",
    path: ["runId"],
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
  const result = launchRequestSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "(request)"}: ${issue.message}`);
    throw new InvalidLaunchRequestError(`invalid launch request: ${problems.join("; ")}`);
  }
  return result.data;
}

export type LaunchOutcome =
  | { status: "launched"; run: Run; taskArn: string }
  | { status: "duplicate"; run: Run }
  | { status: "launch-failed"; run: Run; reason: string };

export interface LaunchRunDeps {
  registry: FlowRegistry;
  runs: RunStore;
  tasks: TaskLauncher;
  events: RunEventPublisher;
  clock: Clock;
  nonces: NonceSource;
}

/**
 * Records a run and starts its first attempt, exactly once per run id: a repeated request finds the run and
 * launches nothing, unless the earlier launcher died between recording and RunTask, in which case it re-drives
 * the launch with the same client token (ECS returns the task it may already have started).
 */
export function createLaunchRun(deps: LaunchRunDeps) {
  return async function launchRun(request: LaunchRequest): Promise<LaunchOutcome> {
    const flow = deps.registry.require(request.flow);
    const now = deps.clock.now();
    const created = await deps.runs.create(newRun(flow, request, now, deps.nonces));
    if (created.created) {
      await deps.events.publish(announce(created.run, null));
    } else if (!(created.run.state === RunState.PENDING && created.run.taskArn === undefined)) {
      return { status: "duplicate", run: created.run };
    }
    return startAttempt(deps, created.run);
  };
}

async function startAttempt(deps: LaunchRunDeps, run: Run): Promise<LaunchOutcome> {
  const launched = await deps.tasks.runTask({
    flow: run.flow,
    runId: run.runId,
    attempt: run.attempt,
    params: run.params,
    clientToken: clientToken(run.runId, run.attempt),
    startedBy: startedBy(run.flow),
  });
  const at = deps.clock.now().toISOString();
  const base = { runId: run.runId, attempt: run.attempt, at, source: "launcher" as const };
  if (launched.ok) {
    // Version 0 precedes every ECS event, so an event that got here first wins and this changes nothing.
    const result = await deps.runs.transition({
      ...base,
      to: RunState.STARTING,
      task: { taskArn: launched.taskArn, version: 0 },
    });
    await publishIfApplied(deps, result);
    return { status: "launched", run: result.run ?? run, taskArn: launched.taskArn };
  }
  const reason = launched.detail ? `${launched.reason}: ${launched.detail}` : launched.reason;
  const result = await deps.runs.transition({ ...base, to: RunState.FAILED, fields: { reason, endedAt: at } });
  await publishIfApplied(deps, result);
  return { status: "launch-failed", run: result.run ?? run, reason };
}

async function publishIfApplied(deps: LaunchRunDeps, result: TransitionResult): Promise<void> {
  if (result.applied) await deps.events.publish(announce(result.run, result.from));
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
    deadline: new Date(now.getTime() + flow.timeoutMinutes * 60_000).toISOString(),
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
