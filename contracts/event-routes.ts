import type { ControlPlaneFunctionName } from "./control-plane";
import { matchesPattern } from "./event-pattern";
import { RUN_EVENT_DETAIL_TYPE, RUN_EVENT_SOURCE } from "./run-events";
import { RunState, TERMINAL_STATES, Trigger } from "./run-states";

/** The events ECS sends when a task's state changes, on the account's default bus. */
export const ECS_TASK_EVENT = { source: "aws.ecs", detailType: "ECS Task State Change" } as const;

/** EventBridge's limit on an event pattern's size, in characters (Amazon EventBridge quotas). */
export const EVENT_PATTERN_MAX_CHARACTERS = 2048;

export interface EventPattern {
  source: readonly string[];
  "detail-type": readonly string[];
  detail: Readonly<Record<string, readonly unknown[]>>;
}

/**
 * One EventBridge rule and the function it invokes. The stack writes each into a rule; the local bus and the
 * property simulation deliver with the same list through `matchesPattern`, so every runtime delivers exactly the
 * events AWS would, as often as AWS would (once per matching rule).
 */
export interface EventRoute {
  /** The rule's id, as the stack names it: `<prefix>-<rule>`. */
  rule: string;
  description: string;
  target: ControlPlaneFunctionName;
  /** ECS's events arrive on the account's default bus, run changes on the environment's own. */
  bus: "default" | "runs";
  pattern: EventPattern;
}

/** What the routes depend on: the cluster whose tasks are ours, and the flows others follow. */
export interface RoutedPlane {
  clusterArn: string;
  /** Sorted flow names (`FlowRegistry.upstreamFlows`). */
  upstreamFlows: readonly string[];
}

/** Run states that page on-call (SKIPPED warns). */
export const PAGED_STATES: readonly RunState[] = [
  RunState.FAILED,
  RunState.TIMED_OUT,
  RunState.LOST,
  RunState.RETRYING,
  RunState.SKIPPED,
];

/** The reaper's heartbeat: a scheduled rule, not an event route. */
export const REAPER_HEARTBEAT = {
  rule: "reaper-schedule",
  description: "Enforce timeouts, reconcile lost runs",
  target: "reaper",
  periodMinutes: 5,
} as const satisfies { rule: string; description: string; target: ControlPlaneFunctionName; periodMinutes: number };

/** Every event route of an environment, in the order the stack creates its rules. */
export function eventRoutes(plane: RoutedPlane): EventRoute[] {
  return [
    ...recorderRoutes(plane.clusterArn),
    ...ALERTER_ROUTES,
    ...upstreamRoutes(plane.upstreamFlows),
    BACKFILL_ENDINGS,
  ];
}

/** The routes that deliver `event`: EventBridge invokes a target once for every rule that matches. */
export function routesOf(routes: readonly EventRoute[], event: unknown): EventRoute[] {
  return routes.filter((route) => matchesPattern(route.pattern, event));
}

/**
 * The ECS Task State Change events the recorder acts on: two deliveries per task instead of six. The launcher records
 * STARTING itself when RunTask answers, so PROVISIONING and PENDING would only repeat it. After the essential container
 * exits, ECS sends RUNNING again with desiredStatus STOPPED, and then DEPROVISIONING: neither changes the run, and the
 * STOPPED event that follows carries the exit code.
 */
function recorderRoutes(clusterArn: string): EventRoute[] {
  const taskRoute = (rule: string, description: string, detail: EventPattern["detail"]): EventRoute => ({
    rule,
    description,
    target: "recorder",
    bus: "default",
    pattern: {
      source: [ECS_TASK_EVENT.source],
      "detail-type": [ECS_TASK_EVENT.detailType],
      detail: { clusterArn: [clusterArn], ...detail },
    },
  });
  return [
    taskRoute("task-running", "ECS tasks of the flow cluster that started running", {
      lastStatus: ["RUNNING"],
      desiredStatus: ["RUNNING"],
    }),
    taskRoute("task-stopped", "ECS tasks of the flow cluster that stopped", { lastStatus: ["STOPPED"] }),
  ];
}

function runRoute(
  rule: string,
  description: string,
  target: ControlPlaneFunctionName,
  detail: EventPattern["detail"],
): EventRoute {
  return {
    rule,
    description,
    target,
    bus: "runs",
    pattern: { source: [RUN_EVENT_SOURCE], "detail-type": [RUN_EVENT_DETAIL_TYPE], detail },
  };
}

/**
 * The run changes the alerter hears about: those that page, and the successes that follow a failed run (the recorder
 * names that run in `recoversFrom`), which post a "recovered" note. Every other success never invokes the alerter.
 */
const ALERTER_ROUTES: readonly EventRoute[] = [
  runRoute("run-alerts", "Run state changes that page on-call", "alerter", { to: PAGED_STATES }),
  runRoute("run-recoveries", "Successes that follow a failed run: on-call hears it recovered", "alerter", {
    to: [RunState.SUCCEEDED],
    recoversFrom: [{ exists: true }],
  }),
];

/** A backfill run that ended: its backfill starts its next slots. */
const BACKFILL_ENDINGS = runRoute(
  "backfill-endings",
  "Backfill runs that ended: their backfill starts its next slots",
  "launcher",
  { trigger: [Trigger.backfill], to: TERMINAL_STATES },
);

/**
 * Successes of the flows others follow, to the launcher, which starts the flows downstream. An event pattern may hold
 * 2,048 characters: as many rules as the flows need, each holding as many as fit.
 */
function upstreamRoutes(upstreamFlows: readonly string[]): EventRoute[] {
  const route = (flows: readonly string[], index: number) =>
    runRoute(
      index === 0 ? "upstream-successes" : `upstream-successes-${index + 1}`,
      "Successes that start downstream flows",
      "launcher",
      { to: [RunState.SUCCEEDED], flow: flows },
    );
  const fits = (flows: readonly string[]) =>
    JSON.stringify(route(flows, 0).pattern).length <= EVENT_PATTERN_MAX_CHARACTERS;
  const chunks: string[][] = [];
  for (const flow of upstreamFlows) {
    const last = chunks.at(-1);
    if (last && fits([...last, flow])) last.push(flow);
    else chunks.push([flow]);
  }
  return chunks.map(route);
}
