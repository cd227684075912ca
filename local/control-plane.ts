import { Logger } from "@aws-lambda-powertools/logger";
import { randomUUID } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { FlowRegistry } from "../flows/registry/flow-registry";
import { DynamoRunStore } from "../lambdas/adapters/dynamo-run-store";
import { createLaunchRun } from "../lambdas/core/launch-run";
import { createRecordTaskState } from "../lambdas/core/record-task-state";
import { createLauncherHandler } from "../lambdas/launcher";
import { createRecorderHandler } from "../lambdas/recorder";
import { ConsoleReporter, formatFlowOutput } from "./console-reporter";
import { DeadLetterFile } from "./dead-letters";
import { startDynaliteServer } from "./dynalite-server";
import { clusterArnOf } from "./ecs-events";
import { startInvokeApi } from "./invoke-api";
import { LOCAL_ENVIRONMENT, writeLocalEndpoints } from "./local-environment";
import { ProcessTaskRunner } from "./process-task-runner";
import { LocalScheduler } from "./scheduler";

export interface LocalControlPlaneOptions {
  registry: FlowRegistry;
  /** Where runs, logs and dead letters live (`.data/`); runs survive restarts when `persist` is set. */
  dataDir: string;
  persist: boolean;
  apiPort: number;
  dynamoPort: number;
  /** Fire flows on their schedules; tests start runs by hand instead. */
  schedule: boolean;
  /** Repository root: flows run from here. */
  workdir: string;
  hostEnv: NodeJS.ProcessEnv;
  write: (line: string) => void;
  colour: boolean;
}

/** Lambda's asynchronous invocation: the first try and two retries, then the dead-letter queue. */
const ASYNC_ATTEMPTS = 3;

/**
 * The whole control plane on one machine: the same launcher and recorder handlers as in AWS, wired to dynalite
 * instead of DynamoDB, a process runner instead of ECS, a timer scheduler instead of EventBridge Scheduler and the
 * console instead of the event bus.
 */
export async function startLocalControlPlane(options: LocalControlPlaneOptions) {
  mkdirSync(options.dataDir, { recursive: true });
  const { cluster, tableName, retentionDays, environmentName, taskDefinitionPrefix } = LOCAL_ENVIRONMENT;
  const dynamo = await startDynaliteServer({
    port: options.dynamoPort,
    tableName,
    ...(options.persist && { path: join(options.dataDir, "dynamodb") }),
  });
  const runs = new DynamoRunStore({ client: dynamo.client, tableName, retentionDays });
  const events = new ConsoleReporter(options.write, options.colour);
  const deadLetters = new DeadLetterFile(join(options.dataDir, "dead-letters.jsonl"));
  const logger = new Logger({ serviceName: "data-flows-local", logLevel: "WARN" });
  const clock = { now: () => new Date() };

  const asyncInvoke = (name: string, handler: (event: unknown) => Promise<unknown>) => async (event: unknown) => {
    let lastError: unknown;
    for (let attempt = 1; attempt <= ASYNC_ATTEMPTS; attempt += 1) {
      try {
        await handler(event);
        return;
      } catch (error) {
        lastError = error;
      }
    }
    deadLetters.add(name, event, lastError);
    options.write(
      `${name} rejected an event ${ASYNC_ATTEMPTS} times: ${String(lastError)} (kept in ${deadLetters.path})`,
    );
  };

  const recorder = createRecorderHandler({
    logger,
    recordTaskState: createRecordTaskState({ runs, events, clock, clusterArn: clusterArnOf(cluster) }),
  });
  const runner = new ProcessTaskRunner({
    registry: options.registry,
    cluster,
    environmentName,
    taskDefinitionPrefix,
    workdir: options.workdir,
    logsDir: join(options.dataDir, "logs"),
    deliver: asyncInvoke("recorder", recorder),
    onOutput: ({ runId, text }) => options.write(formatFlowOutput(runId, text)),
    hostEnv: options.hostEnv,
  });
  const launcher = createLauncherHandler({
    logger,
    launchRun: createLaunchRun({
      registry: options.registry,
      runs,
      tasks: runner,
      events,
      clock,
      nonces: { nonce: () => randomUUID().slice(0, 6) },
    }),
  });
  const api = await startInvokeApi({ launcher }, options.apiPort);
  const scheduler = new LocalScheduler({ registry: options.registry, send: asyncInvoke("launcher", launcher) });
  const scheduled = options.schedule ? scheduler.start() : [];
  const endpointsFile = writeLocalEndpoints(options.dataDir, {
    apiUrl: api.url,
    dynamoEndpoint: dynamo.endpoint,
    pid: process.pid,
  });

  return {
    apiUrl: api.url,
    dynamoEndpoint: dynamo.endpoint,
    runs,
    runner,
    scheduled,
    deadLetters: deadLetters.path,
    /** Stops scheduling and accepting runs, stops running tasks (recording their end), then the store. */
    async stop(): Promise<void> {
      scheduler.stop();
      await api.close();
      await runner.close();
      await dynamo.close();
      rmSync(endpointsFile, { force: true });
    },
  };
}

export type LocalControlPlane = Awaited<ReturnType<typeof startLocalControlPlane>>;
