import type { RunEventPublisher, RunStore, TransitionRequest, TransitionResult } from "./ports";
import { announce } from "./run-events";
import { isTerminal } from "./run-state";

/**
 * Applies one state change the way every component must: the conditional write, then the announcement, then (for an
 * ending) the release of the flow's overlap lock. A crash after the write leaves a lock the reaper releases.
 */
export async function applyTransition(
  deps: { runs: RunStore; events: RunEventPublisher },
  request: TransitionRequest,
): Promise<TransitionResult> {
  const result = await deps.runs.transition(request);
  if (!result.applied) return result;
  await deps.events.publish(announce(result.run, result.from));
  if (isTerminal(result.run.state) && result.run.holdsLock)
    await deps.runs.releaseLock(result.run.flow, result.run.runId);
  return result;
}
