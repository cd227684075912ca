import * as z from "zod";
import { RUN_EVENT_DETAIL_TYPE, RUN_EVENT_SOURCE } from "../../contracts/run-events";
import type { RunStateChanged } from "../core/ports";
import { Trigger } from "../core/run";
import type { RunState } from "../core/run-state";
import { RUN_STATES } from "../core/run-state";

const state = z.enum(RUN_STATES as [RunState, ...RunState[]]);

/** A `Flow Run State Change` event's detail, checked where it enters the alerter or the launcher. */
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
  recoversFrom: z.string().min(1).optional(),
}) satisfies z.ZodType<RunStateChanged>;

/** The EventBridge envelope of a run change, as the bus rules deliver it. */
export const runStateChangedEventSchema = z.looseObject({
  source: z.literal(RUN_EVENT_SOURCE),
  "detail-type": z.literal(RUN_EVENT_DETAIL_TYPE),
  detail: runStateChangedSchema,
});

/** The envelope EventBridge wraps a published change in: what the local bus delivers, as the real one does. */
export function runStateChangedEnvelope(change: RunStateChanged) {
  return { source: RUN_EVENT_SOURCE, "detail-type": RUN_EVENT_DETAIL_TYPE, detail: change };
}
