import { Logger } from "@aws-lambda-powertools/logger";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { flowImageOf } from "../flows/registry/flow-definition";
import type { FlowRegistry } from "../flows/registry/flow-registry";
import { randomNonces } from "../lambdas/adapters/random-nonces";
import { runsTableStores } from "../lambdas/adapters/runs-table-stores";
import { SlackWebhookNotifier } from "../lambdas/adapters/slack-webhook-notifier";
import type { ControlPlane } from "../lambdas/composition-root";
import { composeControlPlane } from "../lambdas/composition-root";
import { eventRoutes, routesOf } from "../contracts/event-routes";
import type { RetryCommand } from "../contracts/launch-commands";
import type { RetryScheduler, RunEventPublisher } from "../lambdas/core/ports";
import type { ReapReport } from "../lambdas/core/reap-runs";
import { runStateChangedEnvelope } from "../contracts/run-events";
import { sharedFlowRuntime } from "./bundled-flow-runtime";
import { ConsoleReporter, formatFlowOutput } from "./console-reporter";
import { DeadLetterFile } from "./dead-letters";
import { startDynaliteServer } from "./dynalite-server";
import { clusterArnOf } from "./ecs-events";
import { startInvokeApi } from "./invoke-api";
import { ConsoleNotifier, LocalTaskLogs } from "./local-alerts";
import { LOCAL_ENVIRONMENT, localLogsDir, writeLocalEndpoints } from "./local-environment";
import { LocalInvoker } from "./local-invoker";
import { ProcessTaskRunner } from "./process-task-runner";
import { findPython } from "./python-interpreter";
import { TaskJournal } from "./task-journal";
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

/**
 * The whole control plane on one machine: the handlers AWS runs, composed by the same composition root, with local
 * ports: dynalite instead of DynamoDB, a process runner instead of ECS, timers instead of EventBridge Scheduler and the
 * console (plus local deliveries to the alerter and launcher) instead of the event bus.
 */
export async function startLocalControlPlane(options: LocalControlPlaneOptions) {
  mkdirSync(options.dataDir, { recursive: true });
  const { names, cluster, retentionDays } = LOCAL_ENVIRONMENT;
  const dynamo = await startDynaliteServer({
    port: options.dynamoPort,
    tableName: names.runsTable,
    ...(options.persist && { path: join(options.dataDir, "dynamodb") }),
  });
  const console = new ConsoleReporter(options.write, options.colour);
  const deadLetters = new DeadLetterFile(join(options.dataDir, "dead-letters.jsonl"));
  const clock = { now: options.now ?? (() => new Date()) };
  const stores = runsTableStores({ client: dynamo.client, tableName: names.runsTable, retentionDays, now: clock.now });
  const logsDir = localLogsDir(options.dataDir);
  // Deliveries reach the plane composed below; nothing is delivered before it exists.
  const invoker = new LocalInvoker(() => plane, deadLetters, options.write, clock.now);

  // The local event bus: every accepted change is printed and delivered as the stack's rules deliver it, once per
  // matching rule (asynchronously, so a slow Slack never holds up the recorder).
  const routes = eventRoutes({ clusterArn: clusterArnOf(cluster), upstreamFlows: options.registry.upstreamFlows });
  const events: RunEventPublisher = {
    async publish(change) {
      await console.publish(change);
      const envelope = runStateChangedEnvelope(change);
      for (const route of routesOf(routes, envelope)) invoker.deliverLater(route.target, envelope);
    },
  };
  // Retries: a timer stands in for the one-time EventBridge Scheduler schedule that invokes the launcher.
  const retryTimers = new Map<string, NodeJS.Timeout>();
  const retryKey = (command: RetryCommand) => `${command.runId}#${command.attempt}`;
  const retries: RetryScheduler = {
    async schedule(command, at) {
      const key = retryKey(command);
      if (retryTimers.has(key)) return; // one schedule per (run, attempt), as Scheduler's names make it
      const timer = setTimeout(
        () => {
          retryTimers.delete(key);
          invoker.deliverLater("launcher", command);
        },
        Math.max(at.getTime() - clock.now().getTime(), 0),
      );
      retryTimers.set(key, timer);
    },
    async cancel(command) {
      clearTimeout(retryTimers.get(retryKey(command)));
      retryTimers.delete(retryKey(command));
    },
  };
  const flowRuntime = sharedFlowRuntime(options.workdir);
  const pythonFlows = options.registry.flows.filter((flow) => flowImageOf(flow) === "python").map((flow) => flow.name);
  const python = pythonFlows.length > 0 ? findPython(options.hostEnv) : undefined;
  if (python && !python.ok) {
    options.write(
      `Python flows cannot run on this machine (${pythonFlows.join(", ")}): ${python.problem}. Every other flow runs as usual; a Python flow's run fails to start (TaskFailedToStart) saying so.`,
    );
  }
  const runner = new ProcessTaskRunner({
    registry: options.registry,
    cluster,
    names,
    workdir: options.workdir,
    logsDir,
    // The stack's rules deliver only the task events the recorder acts on; so does the local bus.
    deliver: async (event) => {
      for (const route of routesOf(routes, event)) await invoker.deliver(route.target, event);
    },
    onOutput: ({ runId, text }) => options.write(formatFlowOutput(runId, text)),
    hostEnv: options.hostEnv,
    watermarkStore: { tableName: names.runsTable, endpoint: dynamo.endpoint },
    runtime: () => flowRuntime.command(),
    ...(python && { python }),
    ...(options.persist && { journal: new TaskJournal(join(options.dataDir, "tasks")) }),
  });
  const slackWebhookUrl = options.hostEnv.SLACK_WEBHOOK_URL;
  const notifier = slackWebhookUrl
    ? new SlackWebhookNotifier({
        webhookUrl: async () => slackWebhookUrl,
        maxAttempts: 4,
        maxRetryAfterSeconds: 20,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        now: () => new Date(),
      })
    : new ConsoleNotifier(options.write);

  const plane: ControlPlane = composeControlPlane(
    {
      registry: options.registry,
      runs: stores.runs,
      tasks: runner,
      taskControl: runner,
      events,
      retries,
      flowState: stores.flowState,
      backfills: stores.backfills,
      // The reaper's hand-offs are awaited locally, so a pass has finished its work when it returns.
      launches: { send: (command) => invoker.deliver("launcher", command) },
      markers: stores.markers,
      notifier,
      taskLogs: new LocalTaskLogs(logsDir),
      clock,
      nonces: randomNonces,
      logger: new Logger({ serviceName: "data-flows-local", logLevel: "WARN" }),
    },
    {
      environment: names.environment,
      clusterArn: clusterArnOf(cluster),
      retryBaseDelaySeconds: LOCAL_RETRY_BASE_DELAY_SECONDS,
      // The invoke API's per-start token stands for the operator here; the CLI names them.
      operatorEntry: "invoke",
      reapLimits: {
        pageSize: 100,
        pendingGraceSeconds: 30,
        launchDeadlineSeconds: 120,
        silenceMinutes: 2,
        safetyMarginMs: 5_000,
      },
    },
  );
  // Before anything new starts: what a killed predecessor left running is stopped and its runs move on.
  for (const taskArn of await runner.recover()) {
    options.write(
      `stopped ${taskArn.slice(taskArn.lastIndexOf("/") + 1)}, left running by a control plane that was killed`,
    );
  }
  const reapRuns = () => invoker.invoke("reaper", undefined) as Promise<ReapReport>;
  const reaper = options.reaperIntervalMs
    ? setInterval(
        () => void reapRuns().catch((error: unknown) => options.write(`reaper failed: ${String(error)}`)),
        options.reaperIntervalMs,
      )
    : undefined;
  const api = await startInvokeApi({ launcher: (event) => invoker.invoke("launcher", event) }, options.apiPort);
  const scheduler = new LocalScheduler({
    registry: options.registry,
    send: (payload) => invoker.deliver("launcher", payload),
  });
  const scheduled = options.schedule ? scheduler.start() : [];
  const endpointsFile = writeLocalEndpoints(options.dataDir, {
    apiUrl: api.url,
    dynamoEndpoint: dynamo.endpoint,
    token: api.token,
    pid: process.pid,
  });

  return {
    apiUrl: api.url,
    dynamoEndpoint: dynamo.endpoint,
    runs: stores.runs,
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
      await invoker.settled();
      await dynamo.close();
      rmSync(endpointsFile, { force: true });
    },
  };
}

export type LocalControlPlane = Awaited<ReturnType<typeof startLocalControlPlane>>;
