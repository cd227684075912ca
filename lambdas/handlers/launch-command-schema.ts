import * as z from "zod";
import type { LaunchCommand } from "../../contracts/launch-commands";
import { MAX_OPERATOR_CHARACTERS, MAX_REASON_CHARACTERS } from "../../contracts/launch-commands";
import { BACKFILL_LIMITS } from "../core/backfill-plan";
import { InvalidLaunchRequestError } from "../core/launch-command";
import { parseInput } from "./parse-input";
import { runStateChangedEventSchema } from "../../contracts/run-events";

const flow = z.string().min(1);
const slot = z.iso.datetime({ offset: true });
/** Names that would reach an object's prototype instead of being a param. */
const RESERVED_NAMES = new Set(["__proto__", "constructor", "prototype"]);
const paramName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "param names are identifiers of at most 64 characters")
  .refine((name) => !RESERVED_NAMES.has(name), { error: (issue) => `"${String(issue.input)}" cannot be a param name` });
/** A param reaches the flow as an environment value, which cannot hold a NUL byte. */
const paramValue = z.string().refine((value) => !value.includes("\u0000"), "a param value cannot hold a NUL byte");
const params = z
  .custom<Record<string, string>>(
    (value) => typeof value === "object" && value !== null && !Array.isArray(value),
    "params must be an object of strings",
  )
  .transform((value, ctx) => {
    // Own keys as sent, `__proto__` included (a zod record would drop it silently).
    const entries = Object.keys(value).map((name) => [name, (value as Record<string, unknown>)[name]] as const);
    for (const [name, item] of entries) {
      const named = paramName.safeParse(name);
      if (!named.success) ctx.addIssue({ code: "custom", path: [name], message: named.error.issues[0]!.message });
      const valued = paramValue.safeParse(item);
      if (!valued.success) ctx.addIssue({ code: "custom", path: [name], message: valued.error.issues[0]!.message });
    }
    return Object.fromEntries(entries) as Record<string, string>;
  })
  .default({});
/** A run id as the launcher makes them: `<flow>/<printable id>`, within ECS's client token limit. */
const runId = z.string().regex(/^[a-z0-9-]{1,32}\/[A-Za-z0-9_.-]{1,40}$/, "not a data-flows run id");
/** A client's idempotency key for a manual run: the same key asks for the same run. */
const requestId = z.string().regex(/^[a-z0-9]{10}$/, "requestId is 10 characters of [a-z0-9]");
/** Who asked for an operator's command (recorded with it), and why. */
const requestedBy = z.string().min(1).max(MAX_OPERATOR_CHARACTERS);
const reason = z.string().max(MAX_REASON_CHARACTERS);
/** A backfill id as the launcher makes them: `<flow>/<from>-<to>`, compact UTC instants. */
const backfillId = z.string().regex(/^[a-z0-9-]{1,32}\/\d{8}T\d{6}Z-\d{8}T\d{6}Z$/, "not a data-flows backfill id");
const runIdOf = (command: { flow: string; runId: string }) => command.runId.startsWith(`${command.flow}/`);
const belongsToFlow = { message: "runId must belong to the flow", path: ["runId"] };

/** Every command the launcher takes from our own senders, told apart by `kind`; unknown fields are refused. */
export const launchCommandSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("schedule"), flow, scheduledTime: slot }),
  z.strictObject({
    kind: z.literal("manual"),
    flow,
    params,
    requestId: requestId.optional(),
    at: slot.optional(),
    requestedBy: requestedBy.optional(),
  }),
  z.strictObject({
    kind: z.literal("backfill"),
    flow,
    from: slot,
    to: slot,
    maxConcurrent: z.number().int().min(1).max(BACKFILL_LIMITS.maxConcurrent),
    params,
    requestedBy,
  }),
  z.strictObject({ kind: z.literal("backfill-advance"), backfillId }),
  z.strictObject({ kind: z.literal("backfill-cancel"), backfillId, requestedBy, reason: reason.optional() }),
  z
    .strictObject({ kind: z.literal("rerun"), flow, runId, requestedBy, requestId: requestId.optional() })
    .refine(runIdOf, belongsToFlow),
  z
    .strictObject({ kind: z.literal("retry"), flow, runId, attempt: z.number().int().min(2).max(100) })
    .refine(runIdOf, belongsToFlow),
  z.strictObject({ kind: z.literal("redrive"), flow, runId }).refine(runIdOf, belongsToFlow),
  z
    .strictObject({ kind: z.literal("cancel"), flow, runId, requestedBy, reason: reason.optional() })
    .refine(runIdOf, belongsToFlow),
  z.strictObject({ kind: z.literal("pause"), flow, requestedBy, reason: reason.optional() }),
  z.strictObject({ kind: z.literal("resume"), flow, requestedBy }),
]);

export { InvalidLaunchRequestError };

/**
 * Reads what the launcher received. EventBridge's own discriminator (`detail-type`) marks a run change from the bus;
 * everything else is one of our commands, told apart by `kind`.
 */
export function parseLaunchCommand(input: unknown): LaunchCommand {
  const toError = (problems: string) => new InvalidLaunchRequestError(`invalid launch request: ${problems}`);
  if (typeof input === "object" && input !== null && "detail-type" in input) {
    return { kind: "run-changed", change: parseInput(runStateChangedEventSchema, input, toError).detail };
  }
  return parseInput(launchCommandSchema, input, toError) satisfies LaunchCommand;
}
