import * as z from "zod";
import type { LaunchCommand } from "../core/launch-command";
import { parseInput } from "./parse-input";
import { runStateChangedEventSchema } from "./run-change-event";

const flow = z.string().min(1);
const slot = z.iso.datetime({ offset: true });
const params = z.record(z.string(), z.string()).default({});
const runIdOf = (command: { flow: string; runId: string }) => command.runId.startsWith(`${command.flow}/`);
const belongsToFlow = { message: "runId must belong to the flow", path: ["runId"] };

/** Every command the launcher takes from our own senders, told apart by `kind`; unknown fields are refused. */
export const launchCommandSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("schedule"), flow, scheduledTime: slot }),
  z.strictObject({ kind: z.literal("manual"), flow, params }),
  z.strictObject({ kind: z.literal("backfill"), flow, scheduledTime: slot, params }),
  z
    .strictObject({ kind: z.literal("retry"), flow, runId: z.string().min(1), attempt: z.number().int().min(2) })
    .refine(runIdOf, belongsToFlow),
  z.strictObject({ kind: z.literal("redrive"), flow, runId: z.string().min(1) }).refine(runIdOf, belongsToFlow),
]);

/** A launcher input that is neither one of our commands nor an upstream success from the bus. */
export class InvalidLaunchRequestError extends Error {
  override name = "InvalidLaunchRequestError";
}

/**
 * Reads what the launcher received. EventBridge's own discriminator (`detail-type`) marks a run change from the bus;
 * everything else is one of our commands, told apart by `kind`.
 */
export function parseLaunchCommand(input: unknown): LaunchCommand {
  const toError = (problems: string) => new InvalidLaunchRequestError(`invalid launch request: ${problems}`);
  if (typeof input === "object" && input !== null && "detail-type" in input) {
    return { kind: "upstream", change: parseInput(runStateChangedEventSchema, input, toError).detail };
  }
  return parseInput(launchCommandSchema, input, toError) satisfies LaunchCommand;
}
