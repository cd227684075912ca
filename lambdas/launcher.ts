import { ECSClient } from "@aws-sdk/client-ecs";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { Logger } from "@aws-lambda-powertools/logger";
import { randomUUID } from "node:crypto";
import { registry } from "../flows/index";
import { createDocumentClient } from "./adapters/dynamo-client";
import { DynamoRunStore } from "./adapters/dynamo-run-store";
import { EcsTaskLauncher } from "./adapters/ecs-task-launcher";
import { EventBridgePublisher } from "./adapters/eventbridge-publisher";
import { lambdaEntry } from "./adapters/lambda-entry";
import type { createLaunchRun } from "./core/launch-run";
import { createLaunchRun as buildLaunchRun, parseLaunchRequest } from "./core/launch-run";
import { launcherConfigSchema, readConfig } from "./config";

/** Starts a run of a flow. Input: `{ flow, trigger, scheduledTime?, params? }` from Scheduler, the CLI or upstream. */
export function createLauncherHandler(deps: { launchRun: ReturnType<typeof createLaunchRun>; logger: Logger }) {
  return async (event: unknown) => {
    const request = parseLaunchRequest(event);
    deps.logger.appendKeys({ flow: request.flow, trigger: request.trigger });
    const outcome = await deps.launchRun(request);
    const { runId, attempt, state } = outcome.run;
    deps.logger.info(`launch ${outcome.status}`, {
      runId,
      attempt,
      state,
      ...("reason" in outcome && { reason: outcome.reason }),
    });
    return { status: outcome.status, runId, attempt, state };
  };
}

const logger = new Logger({ serviceName: "data-flows-launcher" });

export const handler = lambdaEntry(logger, () => {
  const config = readConfig(launcherConfigSchema, process.env);
  return createLauncherHandler({
    logger,
    launchRun: buildLaunchRun({
      registry,
      runs: new DynamoRunStore({
        client: createDocumentClient(),
        tableName: config.RUNS_TABLE_NAME,
        retentionDays: config.RUN_RETENTION_DAYS,
      }),
      tasks: new EcsTaskLauncher({
        client: new ECSClient({}),
        clusterArn: config.CLUSTER_ARN,
        subnetIds: config.SUBNET_IDS,
        securityGroupIds: config.SECURITY_GROUP_IDS,
        taskDefinitionPrefix: config.TASK_DEFINITION_PREFIX,
      }),
      events: new EventBridgePublisher(new EventBridgeClient({}), config.EVENT_BUS_NAME),
      clock: { now: () => new Date() },
      nonces: { nonce: () => randomUUID().slice(0, 6) },
    }),
  });
});
