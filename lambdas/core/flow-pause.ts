import type { LaunchCommand } from "../../contracts/launch-commands";
import type { FlowRegistry } from "../../flows/registry/flow-registry";
import type { Clock, FlowPause, FlowStateStore } from "./ports";

/** What a pause or a resume did. */
export type FlowPauseOutcome =
  | { status: "paused"; flow: string; pause: FlowPause }
  | { status: "resumed"; flow: string; pause: FlowPause }
  | { status: "not-paused"; flow: string };

/**
 * Pauses or resumes a flow's own fires (a paused flow's schedule and upstream fires are recorded SKIPPED). Both are
 * idempotent: pausing a paused flow keeps the first pause, and who made it.
 */
export async function pauseOrResume(
  deps: { registry: FlowRegistry; flowState: FlowStateStore; clock: Clock },
  command: Extract<LaunchCommand, { kind: "pause" | "resume" }>,
): Promise<FlowPauseOutcome> {
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
