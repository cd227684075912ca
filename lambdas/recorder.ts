import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { Logger } from "@aws-lambda-powertools/logger";
import { createDocumentClient } from "./adapters/dynamo-client";
import { DynamoRunStore } from "./adapters/dynamo-run-store";
import { awsRetries } from "./adapters/aws-retries";
import { EventBridgePublisher } from "./adapters/eventbridge-publisher";
import { lambdaEntry } from "./adapters/lambda-entry";
import type { createRecordTaskState } from "./core/record-task-state";
import { createRecordTaskState as buildRecordTaskState } from "./core/record-task-state";
import { readConfig, recorderConfigSchema } from "./config";

/** Moves a run through its states from one EventBridge "ECS Task State Change" event. */
export function createRecorderHandler(deps: {
  recordTaskState: ReturnType<typeof createRecordTaskState>;
  logger: Logger;
}) {
  return async (event: unknown) => {
    const outcome = await deps.recordTaskState(event);
    if (outcome.runId) deps.logger.appendKeys({ runId: outcome.runId, attempt: outcome.attempt });
    if (outcome.status === "applied") deps.logger.info(`run ${outcome.from} -> ${outcome.to}`);
    // Ignored events are logged with their reason; the stack's metric filter counts them by reason.
    else deps.logger.info("event ignored", { ignored: outcome.reason });
    return outcome;
  };
}

const logger = new Logger({ serviceName: "data-flows-recorder" });

export const handler = lambdaEntry(logger, () => {
  const config = readConfig(recorderConfigSchema, process.env);
  return createRecorderHandler({
    logger,
    recordTaskState: buildRecordTaskState({
      runs: new DynamoRunStore({
        client: createDocumentClient(),
        tableName: config.RUNS_TABLE_NAME,
        retentionDays: config.RUN_RETENTION_DAYS,
      }),
      events: new EventBridgePublisher(new EventBridgeClient({}), config.EVENT_BUS_NAME),
      ...awsRetries(config),
      clock: { now: () => new Date() },
      clusterArn: config.CLUSTER_ARN,
    }),
  });
});
