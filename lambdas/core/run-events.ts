import { z } from "zod";
import type { RunStateChanged } from "./ports";
import type { Run } from "./run";
import { Trigger } from "./run";
import type { RunState } from "./run-state";
import { RUN_STATES } from "./run-state";

/** The event that announces a run's latest change, built from the run as stored after it. */
export function announce(run: Run, from: RunState | null): RunStateChanged {
  const last = run.history[run.history.length - 1];
  return {
    runId: run.runId,
    flow: run.flow,
    trigger: run.trigger,
    from,
    to: run.state,
    attempt: run.attempt,
    maxAttempts: run.maxAttempts,
    at: last?.at ?? run.updatedAt,
    ...(run.taskArn !== undefined && { taskArn: run.taskArn }),
    ...(run.exitCode !== undefined && { exitCode: run.exitCode }),
    ...(run.stopCode !== undefined && { stopCode: run.stopCode }),
    ...(run.reason !== undefined && { reason: run.reason }),
  };
}

const state = z.enum(RUN_STATES as [RunState, ...RunState[]]);

/** A `Flow Run State Change` event's detail, checked where it enters the alerter. */
export const runStateChangedSchema = z.object({
  runId: z.string().min(1),
  flow: z.string().min(1),
  trigger: z.enum(Object.values(Trigger) as [Trigger, ...Trigger[]]),
  from: state.nullable(),
  to: state,
  attempt: z.number().int().positive(),
  maxAttempts: z.number().int().positive(),
  at: z.string(),
  taskArn: z.string().optional(),
  exitCode: z.number().int().optional(),
  stopCode: z.string().optional(),
  reason: z.string().optional(),
}) satisfies z.ZodType<RunStateChanged>;

/** The names EventBridge carries run changes under, on the environment's custom bus. */
export const RUN_EVENT_SOURCE = "data-flows";
export const RUN_EVENT_DETAIL_TYPE = "Flow Run State Change";

/** The EventBridge envelope of a run change, as rules deliver it to the alerter and the launcher. */
export const runStateChangedEventSchema = z.looseObject({
  source: z.literal(RUN_EVENT_SOURCE),
  "detail-type": z.literal(RUN_EVENT_DETAIL_TYPE),
  detail: runStateChangedSchema,
});
