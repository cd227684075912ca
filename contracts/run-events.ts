import * as z from "zod";
import type { RunState, Trigger } from "./run-states";
import { RUN_STATES, TRIGGERS } from "./run-states";

/**
 * How run changes travel on an environment's EventBridge bus: what the publisher sends, what the stack's rules match
 * (`event-routes.ts`), and what the alerter and the launcher accept.
 */
export const RUN_EVENT_SOURCE = "data-flows";
export const RUN_EVENT_DETAIL_TYPE = "Flow Run State Change";

/** A run moved: the `detail` of a run-change event, published for alerting, downstream flows and backfills. */
export interface RunStateChanged {
  runId: string;
  flow: string;
  trigger: Trigger;
  from: RunState | null;
  to: RunState;
  attempt: number;
  maxAttempts: number;
  at: string;
  taskArn?: string;
  exitCode?: number;
  stopCode?: string;
  reason?: string;
  /** On a success: the flow's previous run, when it ended FAILED, TIMED_OUT or LOST (the alerter posts "recovered"). */
  recoversFrom?: string;
  /** On a fire SKIPPED because its flow is paused: when that pause began (on-call hears of a pause once, not per fire). */
  pausedAt?: string;
}

const state = z.enum(RUN_STATES as [RunState, ...RunState[]]);

/** A run-change event's detail, checked where it enters the alerter or the launcher. */
export const runStateChangedSchema = z.object({
  runId: z.string().min(1),
  flow: z.string().min(1),
  trigger: z.enum(TRIGGERS as [Trigger, ...Trigger[]]),
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
  pausedAt: z.string().min(1).optional(),
}) satisfies z.ZodType<RunStateChanged>;

/** The EventBridge envelope of a run change, as the bus rules deliver it. */
export const runStateChangedEventSchema = z.looseObject({
  source: z.literal(RUN_EVENT_SOURCE),
  "detail-type": z.literal(RUN_EVENT_DETAIL_TYPE),
  detail: runStateChangedSchema,
});

/** The envelope EventBridge wraps a published change in: what the local bus and the simulation deliver. */
export function runStateChangedEnvelope(change: RunStateChanged) {
  return { source: RUN_EVENT_SOURCE, "detail-type": RUN_EVENT_DETAIL_TYPE, detail: change };
}
