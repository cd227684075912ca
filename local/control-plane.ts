import { Logger } from "@aws-lambda-powertools/logger";
import { randomUUID } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { FlowRegistry } from "../flows/registry/flow-registry";
import { DynamoRunStore } from "../lambdas/adapters/dynamo-run-store";
import { DynamoAlertMarkers } from "../lambdas/adapters/dynamo-alert-markers";
import { SlackWebhookNotifier } from "../lambdas/adapters/slack-webhook-notifier";
import { createAlertRun } from "../lambdas/core/alert-run";
import type { RetryScheduler, RunEventPublisher } from "../lambdas/core/ports";
import { createReapRuns } from "../lambdas/core/reap-runs";
import { RunState } from "../lambdas/core/run-state";
import { createRecordTaskState } from "../lambdas/core/record-task-state";
import { createAlerterHandler } from "../lambdas/alerter";
import { createLauncherHandler } from "../lambdas/launcher";
import { createRecorderHandler } from "../lambdas/recorder";
import { RUN_EVENT_DETAIL_TYPE, RUN_EVENT_SOURCE } from "../lambdas/core/run-events";
import { ConsoleReporter, formatFlowOutput } from "./console-reporter";
import { DeadLetterFile } from "./dead-letters";
import { startDynaliteServer } from "./dynalite-server";
import { clusterArnOf } from "./ecs-events";
import { startInvokeApi } from "./invoke-api";
import { ConsoleNotifier, LocalTaskLogs } from "./local-alerts";
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
  /** How often the reaper runs (AWS: every 5 minutes); 0 turns it off. */
  reaperIntervalMs: number;
  /** The control plane's idea of now; tests move it forward to reach deadlines without waiting. */
  now?: () => Date;
}

/** Backoff before a retried attempt: 60 s in AWS, shorter locally so a retry shows within seconds. */
const LOCAL_RETRY_BASE_DELAY_SECONDS = 3;

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
  const console = new ConsoleReporter(options.write, options.colour);
  const deadLetters = new DeadLetterFile(join(options.dataDir, "dead-letters.jsonl"));
  const logger = new Logger({ serviceName: "data-flows-local", logLevel: "WARN" });
  const clock = { now: options.now ?? (() => new Date()) };
  const logsDir = join(options.dataDir, "logs");
  const inFlight = new Set<Promise<void>>();

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

  const slackWebhookUrl = options.hostEnv.SLACK_WEBHOOK_URL;
  const notifier = slackWebhookUrl
    ? new SlackWebhookNotifier({
        webhookUrl: async () => slackWebhookUrl,
        maxAttempts: 4,
        maxRetryAfterSeconds: 20,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      })
    : new ConsoleNotifier(options.write);
  const alerter = asyncInvoke(
    "alerter",
    createAlerterHandler({
      logger,
      notifier,
      environment: environmentName,
      alertRun: createAlertRun({
        registry: options.registry,
        runs,
        markers: new DynamoAlertMarkers({ client: dynamo.client, tableName, retentionDays, now: clock.now }),
        notifier,
        logs: new LocalTaskLogs(logsDir),
        environment: environmentName,
      }),
    }),
  );
  // The local event bus: every accepted change is printed, and delivered to the alerter as EventBridge would
  // (asynchronously, so a slow Slack never holds up the recorder).
  const deliverLater = (delivery: Promise<void>) => {
    inFlight.add(delivery);
    void delivery.finally(() => inFlight.delete(delivery));
  };
  const events: RunEventPublisher = {
    async publish(change) {
      await console.publish(change);
      const envelope = { source: RUN_EVENT_SOURCE, "detail-type": RUN_EVENT_DETAIL_TYPE, detail: change };
      deliverLater(alerter(envelope));
      // The bus rule for successes: flows downstream of this one start.
      if (change.to === RunState.SUCCEEDED && options.registry.downstreamOf(change.flow).length > 0) {
        deliverLater(asyncInvoke("launcher", (event) => launcher(event))(envelope));
      }
    },
  };

  // Retries: a timer stands in for the one-time EventBridge Scheduler schedule that invokes the launcher.
  const retryTimers = new Set<NodeJS.Timeout>();
  const retries: RetryScheduler = {
    async schedule(request, at) {
      const timer = setTimeout(
        () => {
          retryTimers.delete(timer);
          deliverLater(asyncInvoke("launcher", (event) => launcher(event))(request));
        },
        Math.max(at.getTime() - clock.now().getTime(), 0),
      );
      retryTimers.add(timer);
    },
  };
  const retryOptions = { baseDelaySeconds: LOCAL_RETRY_BASE_DELAY_SECONDS };
  const recordTaskState = createRecordTaskState({
    runs,
    events,
    retries,
    retryOptions,
    clock,
    clusterArn: clusterArnOf(cluster),
  });
  const recorder = createRecorderHandler({ logger, recordTaskState });
  const runner = new ProcessTaskRunner({
    registry: options.registry,
    cluster,
    environmentName,
    taskDefinitionPrefix,
    workdir: options.workdir,
    logsDir,
    deliver: asyncInvoke("recorder", recorder),
    onOutput: ({ runId, text }) => options.write(formatFlowOutput(runId, text)),
    hostEnv: options.hostEnv,
  });
  const launcher = createLauncherHandler({
    logger,
    registry: options.registry,
    runs,
    tasks: runner,
    events,
    retries,
    retryOptions,
    clock,
    nonces: { nonce: () => randomUUID().slice(0, 6) },
  });
  const reapRuns = createReapRuns({
    registry: options.registry,
    runs,
    tasks: runner,
    relaunch: async (request) => void (await asyncInvoke("launcher", launcher)(request)),
    events,
    recordTaskState,
    clusterArn: clusterArnOf(cluster),
    clock,
    limits: { runsPerFlow: 50, pendingGraceSeconds: 30, silenceMinutes: 2 },
  });
  const reaper = options.reaperIntervalMs
    ? setInterval(
        () => void reapRuns().catch((error: unknown) => options.write(`reaper failed: ${String(error)}`)),
        options.reaperIntervalMs,
      )
    : undefined;
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
    reapRuns,
    /** Stops scheduling and accepting runs, stops running tasks (recording their end), then the store. */
    async stop(): Promise<void> {
      scheduler.stop();
      clearInterval(reaper);
      retryTimers.forEach((timer) => clearTimeout(timer));
      await api.close();
      await runner.close();
      await Promise.all([...inFlight]);
      await dynamo.close();
      rmSync(endpointsFile, { force: true });
    },
  };
}

export type LocalControlPlane = Awaited<ReturnType<typeof startLocalControlPlane>>;
