import { Logger } from "@aws-lambda-powertools/logger";
import type { ControlPlanePorts, ControlPlaneSettings } from "../../lambdas/composition-root";
import { composeControlPlane, onlyPorts } from "../../lambdas/composition-root";
import { FIXTURE_CLUSTER_ARN } from "./fixtures";

/** Settings of a test control plane: the fixtures' cluster, AWS's retry backoff and reaper limits. */
export const TEST_SETTINGS: ControlPlaneSettings = {
  environment: "dev",
  clusterArn: FIXTURE_CLUSTER_ARN,
  retryBaseDelaySeconds: 60,
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
  return composeControlPlane(onlyPorts("this test", { logger: new Logger({ logLevel: "SILENT" }), ...ports }), {
    ...TEST_SETTINGS,
    ...settings,
  });
}
