import { ECSClient } from "@aws-sdk/client-ecs";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { Logger } from "@aws-lambda-powertools/logger";
import { registry } from "../flows/index";
import { createDocumentClient } from "./adapters/dynamo-client";
import { DynamoRunStore } from "./adapters/dynamo-run-store";
import { EcsTaskControl } from "./adapters/ecs-task-control";
import { awsRetries } from "./adapters/aws-retries";
import { EventBridgePublisher } from "./adapters/eventbridge-publisher";
import { lambdaEntry } from "./adapters/lambda-entry";
import type { createReapRuns } from "./core/reap-runs";
import { createReapRuns as buildReapRuns } from "./core/reap-runs";
import { createRecordTaskState } from "./core/record-task-state";
import { readConfig, reaperConfigSchema } from "./config";

/** Every 5 minutes: enforce timeouts, re-drive stranded launches, reconcile runs whose events were lost. */
export function createReaperHandler(deps: { reapRuns: ReturnType<typeof createReapRuns>; logger: Logger }) {
  return async () => {
    const report = await deps.reapRuns();
    deps.logger.info("reaped", { ...report });
    return report;
  };
}

const logger = new Logger({ serviceName: "data-flows-reaper" });

export const handler = lambdaEntry(logger, () => {
  const config = readConfig(reaperConfigSchema, process.env);
  const lambda = new LambdaClient({});
  const runs = new DynamoRunStore({
    client: createDocumentClient(),
    tableName: config.RUNS_TABLE_NAME,
    retentionDays: config.RUN_RETENTION_DAYS,
  });
  const events = new EventBridgePublisher(new EventBridgeClient({}), config.EVENT_BUS_NAME);
  const clock = { now: () => new Date() };
  return createReaperHandler({
    logger,
    reapRuns: buildReapRuns({
      registry,
      runs,
      tasks: new EcsTaskControl({ client: new ECSClient({}), clusterArn: config.CLUSTER_ARN }),
      relaunch: async (request) => {
        await lambda.send(
          new InvokeCommand({
            FunctionName: config.LAUNCHER_FUNCTION_NAME,
            InvocationType: "Event",
            Payload: Buffer.from(JSON.stringify(request)),
          }),
        );
      },
      events,
      recordTaskState: createRecordTaskState({
        runs,
        events,
        ...awsRetries(config),
        clock,
        clusterArn: config.CLUSTER_ARN,
      }),
      clusterArn: config.CLUSTER_ARN,
      clock,
      limits: { runsPerFlow: 50, pendingGraceSeconds: 120, silenceMinutes: 15 },
    }),
  });
});
