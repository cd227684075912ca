import { matchesPattern } from "./event-pattern";
import { RunState } from "./run-state";

/**
 * One EventBridge rule's filter on the event's `detail`: the stack writes it into the rule, and the local bus and the
 * simulation route with it through `matchesPattern`, so every runtime delivers exactly the events AWS would. A rule's
 * pattern is an AND of its fields; two rules to one function are the OR.
 */
export interface DetailRoute {
  /** The rule's id, as the stack names it: `<prefix>-<rule>`. */
  rule: string;
  description: string;
  detail: Readonly<Record<string, readonly unknown[]>>;
}

/**
 * The ECS Task State Change events the recorder acts on: two deliveries per task instead of six. The launcher records
 * STARTING itself when RunTask answers, so PROVISIONING and PENDING would only repeat it. After the essential container
 * exits, ECS sends RUNNING again with desiredStatus STOPPED, and then DEPROVISIONING: neither changes the run, and the
 * STOPPED event that follows carries the exit code.
 */
export const RECORDER_TASK_ROUTES: readonly DetailRoute[] = [
  {
    rule: "task-running",
    description: "ECS tasks of the flow cluster that started running",
    detail: { lastStatus: ["RUNNING"], desiredStatus: ["RUNNING"] },
  },
  {
    rule: "task-stopped",
    description: "ECS tasks of the flow cluster that stopped",
    detail: { lastStatus: ["STOPPED"] },
  },
];

/** Run states that page on-call (SKIPPED warns). */
export const PAGED_STATES: readonly RunState[] = [
  RunState.FAILED,
  RunState.TIMED_OUT,
  RunState.LOST,
  RunState.RETRYING,
  RunState.SKIPPED,
];

/**
 * The run changes the alerter hears about: those that page, and the successes that follow a failed run (the recorder
 * names that run in `recoversFrom`), which post a "recovered" note. Every other success never invokes the alerter.
 */
export const ALERTER_RUN_ROUTES: readonly DetailRoute[] = [
  { rule: "run-alerts", description: "Run state changes that page on-call", detail: { to: PAGED_STATES } },
  {
    rule: "run-recoveries",
    description: "Successes that follow a failed run: on-call hears it recovered",
    detail: { to: [RunState.SUCCEEDED], recoversFrom: [{ exists: true }] },
  },
];

/** Whether any of `routes` lets an event with this `detail` through, as EventBridge would. */
export function isRouted(routes: readonly DetailRoute[], detail: unknown): boolean {
  return routes.some((route) => matchesPattern(route.detail, detail));
}
