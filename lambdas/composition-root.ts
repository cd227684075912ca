import type { Logger } from "@aws-lambda-powertools/logger";
import type { ControlPlaneFunctionName } from "../contracts/control-plane";
import type { FlowRegistry } from "../flows/registry/flow-registry";
import { createAlertRun } from "./core/alert-run";
import { createLauncher } from "./core/launch-run";
import type {
  AlertMarkers,
  BackfillStore,
  Clock,
  FlowStateStore,
  Invocation,
  LaunchQueue,
  NonceSource,
  Notifier,
  RetryScheduler,
  RunEventPublisher,
  RunStore,
  TaskControl,
  TaskLauncher,
  TaskLogs,
} from "./core/ports";
import type { ReapLimits } from "./core/reap-policy";
import { createReapRuns } from "./core/reap-runs";
import { createRecordTaskState } from "./core/record-task-state";
import { createAlerterHandler } from "./handlers/alerter";
import type { OperatorEntry } from "./handlers/launcher";
import { createLauncherHandler } from "./handlers/launcher";
import { createReaperHandler } from "./handlers/reaper";
import { createRecorderHandler } from "./handlers/recorder";
import { once } from "./lazy";

/**
 * Everything the control plane talks to, as ports. AWS (`lambdas/aws/aws-ports.ts`), `npm start`
 * (`local/control-plane.ts`), the property simulation and `events replay` each provide their own; a handler reads only
 * the ports it uses, so they may be lazy getters that build an adapter on first use.
 */
export interface ControlPlanePorts {
  registry: FlowRegistry;
  runs: RunStore;
  tasks: TaskLauncher;
  taskControl: TaskControl;
  events: RunEventPublisher;
  retries: RetryScheduler;
  flowState: FlowStateStore;
  backfills: BackfillStore;
  launches: LaunchQueue;
  markers: AlertMarkers;
  notifier: Notifier;
  taskLogs: TaskLogs;
  clock: Clock;
  nonces: NonceSource;
  logger: Logger;
}

/** The control plane's settings; like the ports, each handler reads only its own. */
export interface ControlPlaneSettings {
  /** The environment's name as on-call reads it in alerts. */
  environment: string;
  /** Only tasks of this cluster move runs. */
  clusterArn: string;
  /** The first backoff step before a failed attempt is retried (60 s in AWS, a few seconds locally). */
  retryBaseDelaySeconds: number;
  reapLimits: ReapLimits;
  /** Where operators' commands may come from (AWS: only the launcher's IAM-authenticated URL). */
  operatorEntry: OperatorEntry;
}

/**
 * A control-plane handler: the event as the platform delivers it in, a JSON-able result out. The invocation says when
 * the platform will stop it, so work that cannot finish in time is handed back to a retry instead of being cut off.
 */
export type Handler = (event: unknown, invocation?: Invocation) => Promise<unknown>;

/** Each function's handler, built on first use from exactly the ports and settings that function needs. */
export type ControlPlane = { [Name in ControlPlaneFunctionName]: () => Handler };

/**
 * The one place the use cases are wired to their ports. Every runtime calls it: the four Lambda entries, the local
 * control plane, the property simulation and `events replay`. A new dependency of a use case is one edit here.
 */
export function composeControlPlane(ports: ControlPlanePorts, settings: ControlPlaneSettings): ControlPlane {
  const retryOptions = () => ({ baseDelaySeconds: settings.retryBaseDelaySeconds });
  const recordTaskState = once(() =>
    createRecordTaskState({
      runs: ports.runs,
      events: ports.events,
      retries: ports.retries,
      taskControl: ports.taskControl,
      flowState: ports.flowState,
      retryOptions: retryOptions(),
      clock: ports.clock,
      clusterArn: settings.clusterArn,
    }),
  );
  return {
    launcher: once(() =>
      createLauncherHandler({
        logger: ports.logger,
        operatorEntry: settings.operatorEntry,
        launch: createLauncher({
          registry: ports.registry,
          runs: ports.runs,
          tasks: ports.tasks,
          taskControl: ports.taskControl,
          events: ports.events,
          retries: ports.retries,
          flowState: ports.flowState,
          backfills: ports.backfills,
          retryOptions: retryOptions(),
          clock: ports.clock,
          nonces: ports.nonces,
          lockTakeoverSeconds: settings.reapLimits.pendingGraceSeconds,
        }),
      }),
    ),
    recorder: once(() => createRecorderHandler({ logger: ports.logger, recordTaskState: recordTaskState() })),
    alerter: once(() =>
      createAlerterHandler({
        logger: ports.logger,
        notifier: ports.notifier,
        environment: settings.environment,
        alertRun: createAlertRun({
          registry: ports.registry,
          runs: ports.runs,
          markers: ports.markers,
          notifier: ports.notifier,
          logs: ports.taskLogs,
          environment: settings.environment,
          clock: ports.clock,
        }),
      }),
    ),
    reaper: once(() =>
      createReaperHandler({
        logger: ports.logger,
        reapRuns: createReapRuns({
          registry: ports.registry,
          runs: ports.runs,
          tasks: ports.taskControl,
          launches: ports.launches,
          events: ports.events,
          flowState: ports.flowState,
          retries: ports.retries,
          backfills: ports.backfills,
          recordTaskState: recordTaskState(),
          clock: ports.clock,
          limits: settings.reapLimits,
        }),
      }),
    ),
  };
}

/**
 * Ports for a runtime that provides only some of them (a replay, a test): reading any other port throws, naming it,
 * so a handler that starts using a new port fails loudly there instead of reaching something real.
 */
export function onlyPorts(runtime: string, provided: Partial<ControlPlanePorts>): ControlPlanePorts {
  return new Proxy(provided as ControlPlanePorts, {
    get: (target, port) => {
      if (port in target) return target[port as keyof ControlPlanePorts];
      throw new Error(`${runtime} does not provide the ${String(port)} port`);
    },
  });
}

/**
 * The ports and settings a function reads when its handler is composed, found by composing it against recorders.
 * AWS turns this into the environment a function needs (its config schema); tests hold the stack to it.
 */
export function dependenciesOf(name: ControlPlaneFunctionName): {
  ports: (keyof ControlPlanePorts)[];
  settings: (keyof ControlPlaneSettings)[];
} {
  const ports = new Set<string>();
  const settings = new Set<string>();
  const recorder = (seen: Set<string>) => new Proxy({}, { get: (_, key) => (seen.add(String(key)), inert) });
  composeControlPlane(recorder(ports) as ControlPlanePorts, recorder(settings) as ControlPlaneSettings)[name]();
  return {
    ports: [...ports].sort() as (keyof ControlPlanePorts)[],
    settings: [...settings].sort() as (keyof ControlPlaneSettings)[],
  };
}

/** Stands in for any port while recording: composing only stores ports, it never calls them. */
const inert: unknown = new Proxy(() => inert, { get: () => inert, apply: () => inert });
