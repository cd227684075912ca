import { ECSClient } from "@aws-sdk/client-ecs";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { Logger } from "@aws-lambda-powertools/logger";
import { randomUUID } from "node:crypto";
import { registry } from "../flows/index";
import { createDocumentClient } from "./adapters/dynamo-client";
import { DynamoRunStore } from "./adapters/dynamo-run-store";
import { EcsTaskLauncher } from "./adapters/ecs-task-launcher";
import { awsRetries } from "./adapters/aws-retries";
import { EventBridgePublisher } from "./adapters/eventbridge-publisher";
import { lambdaEntry } from "./adapters/lambda-entry";
import type { LaunchRunDeps } from "./core/launch-run";
import { createLaunchDownstream, createLaunchRun, parseLaunchRequest } from "./core/launch-run";
import { runStateChangedEventSchema } from "./core/run-events";
import { launcherConfigSchema, readConfig } from "./config";

/**
 * Starts runs. Input: `{ flow, trigger, scheduledTime?, params? }` from Scheduler, the CLI or the reaper; or a
 * `Flow Run State Change` success from the bus, which starts the flows downstream of it.
 */
export function createLauncherHandler(deps: LaunchRunDeps & { logger: Logger }) {
  const launchRun = createLaunchRun(deps);
  const launchDownstream = createLaunchDownstream(deps, launchRun);
  return async (event: unknown) => {
    const upstream = runStateChangedEventSchema.safeParse(event);
    if (upstream.success) {
      const outcomes = await launchDownstream(upstream.data.detail);
      deps.logger.info("downstream launched", {
        upstream: upstream.data.detail.runId,
        runs: outcomes.map((outcome) => `${outcome.run.runId} ${outcome.status}`),
      });
      return { status: "downstream", runs: outcomes.map((outcome) => outcome.run.runId) };
    }
    const request = parseLaunchRequest(event);
    deps.logger.appendKeys({ flow: request.flow, trigger: request.trigger });
    const outcome = await launchRun(request);
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
    ...awsRetries(config),
    clock: { now: () => new Date() },
    nonces: { nonce: () => randomUUID().slice(0, 6) },
  });
});
