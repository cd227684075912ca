import { Logger } from "@aws-lambda-powertools/logger";
import { ECSClient } from "@aws-sdk/client-ecs";
import { environmentNames } from "../../contracts/resource-names";
import { DynamoRunStore } from "../../lambdas/adapters/dynamo-run-store";
import { EcsTaskControl } from "../../lambdas/adapters/ecs-task-control";
import { EcsTaskLauncher } from "../../lambdas/adapters/ecs-task-launcher";
import { runsTableStores } from "../../lambdas/adapters/runs-table-stores";
import type { ControlPlanePorts, ControlPlaneSettings } from "../../lambdas/composition-root";
import { composeControlPlane, onlyPorts } from "../../lambdas/composition-root";
import { FIXTURE_CLUSTER_ARN } from "./fixtures";

/** Settings of a test control plane: the fixtures' cluster, AWS's retry backoff and reaper limits. */
export const TEST_SETTINGS: ControlPlaneSettings = {
  environment: "dev",
  clusterArn: FIXTURE_CLUSTER_ARN,
  retryBaseDelaySeconds: 60,
  operatorEntry: "invoke",
  reapLimits: {
    pageSize: 50,
    pendingGraceSeconds: 120,
    launchDeadlineSeconds: 15 * 60,
    silenceMinutes: 15,
    safetyMarginMs: 5_000,
  },
};

/**
 * The control plane as production wires it (the composition root), with the ports a test provides; any other port it
 * reads throws, naming the port.
 */
export function composeForTest(ports: Partial<ControlPlanePorts>, settings: Partial<ControlPlaneSettings> = {}) {
  // Pauses and watermarks live in the runs table: beside the test's own table unless the test brings its own.
  const beside =
    ports.runs instanceof DynamoRunStore
      ? runsTableStores({
          client: ports.runs.client,
          tableName: ports.runs.tableName,
          retentionDays: 30,
          now: () => new Date(),
        })
      : undefined;
  const flowState = beside ? { flowState: beside.flowState, backfills: beside.backfills } : {};
  return composeControlPlane(
    onlyPorts("this test", { logger: new Logger({ logLevel: "SILENT" }), ...flowState, ...ports }),
    {
      ...TEST_SETTINGS,
      ...settings,
    },
  );
}

/**
 * The ECS adapters as AWS wires them, for the fixtures' cluster in dev, on an `ECSClient` that a test mocks with
 * aws-sdk-client-mock (nothing local speaks ECS's protocol).
 */
export function fixtureEcsPorts(subnetIds: string[] = ["subnet-0a1b2c3d", "subnet-0e1f2a3b"]) {
  const client = new ECSClient({ region: "eu-west-1" });
  return {
    tasks: new EcsTaskLauncher({
      client,
      clusterArn: FIXTURE_CLUSTER_ARN,
      subnetIds,
      securityGroupIds: ["sg-0123"],
      names: environmentNames("dev", "Dev"),
    }),
    taskControl: new EcsTaskControl({ client, clusterArn: FIXTURE_CLUSTER_ARN }),
  };
}
