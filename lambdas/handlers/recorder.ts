import type { Logger } from "@aws-lambda-powertools/logger";
import type { createRecordTaskState, RecordOutcome } from "../core/record-task-state";
import { parseTaskStateChange } from "./ecs-task-event";

/** Moves a run through its states from one EventBridge "ECS Task State Change" event. */
export function createRecorderHandler(deps: {
  recordTaskState: ReturnType<typeof createRecordTaskState>;
  logger: Logger;
}) {
  return async (event: unknown): Promise<RecordOutcome> => {
    const outcome = await deps.recordTaskState(parseTaskStateChange(event));
    if (outcome.runId) deps.logger.appendKeys({ runId: outcome.runId, attempt: outcome.attempt });
    if (outcome.status === "applied") deps.logger.info(`run ${outcome.from} -> ${outcome.to}`);
    // Ignored events are logged with their reason; the stack's metric filter counts them by reason.
    else deps.logger.info("event ignored", { ignored: outcome.reason });
    return outcome;
  };
}
