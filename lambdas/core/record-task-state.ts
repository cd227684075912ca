import type { Clock, RejectionReason, RunEventPublisher, RunStore } from "./ports";
import { RunState } from "./run-state";
import { announce } from "./run-events";
import { outcomeOf, parseTaskStateChange, runReferenceOf } from "./task-state-change";

export type IgnoredReason = RejectionReason | "other-cluster" | "not-a-run" | "no-state-change";

export type RecordOutcome =
  | { status: "applied"; runId: string; attempt: number; from: RunState; to: RunState }
  | { status: "ignored"; reason: IgnoredReason; runId?: string; attempt?: number };

export interface RecordTaskStateDeps {
  runs: RunStore;
  events: RunEventPublisher;
  clock: Clock;
  /** Only events from this cluster move runs; the EventBridge rule filters too, this keeps replays honest. */
  clusterArn: string;
}

/**
 * Moves a run according to one ECS Task State Change event. Throws MalformedEventError on an event it cannot read
 * (so the platform retries it and then dead-letters it); every other event is either applied or ignored with a reason.
 */
export function createRecordTaskState(deps: RecordTaskStateDeps) {
  return async function recordTaskState(input: unknown): Promise<RecordOutcome> {
    const event = parseTaskStateChange(input);
    if (event.detail.clusterArn !== deps.clusterArn) return { status: "ignored", reason: "other-cluster" };
    const reference = runReferenceOf(event);
    if (!reference) return { status: "ignored", reason: "not-a-run" };
    const outcome = outcomeOf(event);
    if (!outcome) return { status: "ignored", reason: "no-state-change", ...reference };

    const at = deps.clock.now().toISOString();
    const ended = outcome.state !== RunState.STARTING && outcome.state !== RunState.RUNNING;
    const result = await deps.runs.transition({
      ...reference,
      to: outcome.state,
      at,
      source: "recorder",
      task: { taskArn: event.detail.taskArn, version: event.detail.version },
      fields: {
        ...(outcome.exitCode !== undefined && { exitCode: outcome.exitCode }),
        ...(outcome.stopCode !== undefined && { stopCode: outcome.stopCode }),
        ...(outcome.reason !== undefined && { reason: outcome.reason }),
        ...(event.detail.startedAt !== undefined && { startedAt: event.detail.startedAt }),
        ...(ended && { endedAt: event.detail.stoppedAt ?? at }),
      },
    });
    if (!result.applied) return { status: "ignored", reason: result.reason, ...reference };
    await deps.events.publish(announce(result.run, result.from));
    return { status: "applied", ...reference, from: result.from, to: result.run.state };
  };
}
