import { Logger } from "@aws-lambda-powertools/logger";
import { randomBytes } from "node:crypto";
import type { FlowInput } from "../flows/registry/flow-definition";
import { defineRegistry } from "../flows/registry/flow-registry";
import type { ControlPlanePorts, ControlPlaneSettings } from "../lambdas/composition-root";
import { composeControlPlane, onlyPorts } from "../lambdas/composition-root";
import { TEST_SETTINGS } from "../tests/support/control-plane";
import { memoryFlowState } from "../tests/support/memory-flow-state";
import type { StartedTask } from "./ecs-lifecycle";
import { BENCH_CLUSTER_ARN, taskArnOfStarted } from "./ecs-lifecycle";

/** Types of the ports, read from the composition root so the bench follows the ports as they change. */
export type TaskLauncherPort = ControlPlanePorts["tasks"];
export type TaskRequestOf = Parameters<TaskLauncherPort["runTask"]>[0];
export type PublisherPort = ControlPlanePorts["events"];
export type RetriesPort = ControlPlanePorts["retries"];

/** `count` flows named `<prefix>-<i>`, each valid as the registry requires; `extra` overrides every flow's fields. */
export function benchRegistry(count: number, prefix: string, extra: Partial<FlowInput> = {}) {
  return defineRegistry(
    Array.from({ length: count }, (_, index) => ({
      name: `${prefix}-${index}`,
      description: "bench flow",
      owner: "@bench",
      schedule: { cron: "0 * * * *", timezone: "UTC" },
      ...extra,
    })),
  );
}

/** The tests' settings (kept in step with the composition root by the tests), on the bench's cluster. */
export const BENCH_SETTINGS: ControlPlaneSettings = {
  ...TEST_SETTINGS,
  environment: "bench",
  clusterArn: BENCH_CLUSTER_ARN,
  retryBaseDelaySeconds: 60,
};

/**
 * The control plane as production wires it (the composition root), with the ports the bench provides; a port it does
 * not provide throws, naming it, so a new dependency of a handler shows up as a section error, not a wrong figure.
 */
export function composeBench(ports: Partial<ControlPlanePorts>, settings: Partial<ControlPlaneSettings> = {}) {
  return composeControlPlane(
    onlyPorts("the bench", {
      logger: new Logger({ logLevel: "SILENT" }),
      nonces: { nonce: () => randomBytes(8).toString("hex").slice(0, 10) },
      flowState: memoryFlowState(),
      // No backfill runs in the bench: an empty store, which refuses to make one.
      backfills: {
        listActive: async () => [],
        get: async () => undefined,
        create: async () => {
          throw new Error("the bench makes no backfills");
        },
        advanceLane: async () => undefined,
        finish: async () => undefined,
      },
      // The bench's tasks end by themselves: a run never asks to stop one, nor to look one up.
      taskControl: {
        stopTask: async () => {
          throw new Error("the bench stops no tasks");
        },
        describeTasks: async () => new Map(),
        listRunning: async () => [],
      },
      ...ports,
    } as Partial<ControlPlanePorts>),
    { ...BENCH_SETTINGS, ...settings },
  );
}

/** RunTask that always starts the task, idempotent on the client token; keeps what each task was started for. */
export class InstantTasks {
  readonly byToken = new Map<string, StartedTask>();
  readonly port = {
    runTask: async (request: TaskRequestOf) => {
      let task = this.byToken.get(request.clientToken);
      if (!task) {
        task = {
          taskId: `t${this.byToken.size}`,
          flow: request.flow,
          runId: request.runId,
          attempt: request.attempt,
          params: { ...request.params },
          dataInterval: request.dataInterval,
          startedBy: request.startedBy,
        };
        this.byToken.set(request.clientToken, task);
      }
      return { ok: true as const, taskArn: taskArnOfStarted(task) };
    },
  } as unknown as TaskLauncherPort;
}

export const silentPublisher = { publish: async () => undefined } as unknown as PublisherPort;
export const silentRetries = {
  schedule: async () => undefined,
  cancel: async () => undefined,
} as unknown as RetriesPort;
export const realClock = { now: () => new Date() };

/** Scheduled slots one minute apart, going back from `from`: each gives a distinct, deterministic run id. */
export const slotMinutesBefore = (from: Date, minutes: number) =>
  new Date(Math.floor(from.getTime() / 60_000) * 60_000 - minutes * 60_000).toISOString();
