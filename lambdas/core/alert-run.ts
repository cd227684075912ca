import type { FlowRegistry } from "../../flows/registry/flow-registry";
import { classifyFailure, FailureClass } from "./classify-failure";
import type { AlertMarkers, Notifier, RunStateChanged, RunStore, TaskLogs } from "./ports";
import { formatDuration } from "./duration";
import { RunState } from "./run-state";
import { recoveredMessage, runAlertMessage } from "./slack-message";

export interface AlertRunDeps {
  registry: FlowRegistry;
  runs: RunStore;
  markers: AlertMarkers;
  notifier: Notifier;
  logs: TaskLogs;
  environment: string;
}

export type AlertOutcome = "posted" | "duplicate" | "not-alerted";

const PAGED: ReadonlySet<RunState> = new Set<RunState>([
  RunState.FAILED,
  RunState.TIMED_OUT,
  RunState.LOST,
  RunState.RETRYING,
  RunState.SKIPPED,
]);
/** The states the alerter hears about (the stack's bus rule routes exactly these): failures page, SKIPPED warns, and
 * SUCCEEDED may post a "recovered" note. */
export const ALERTED_STATES: readonly RunState[] = [...PAGED, RunState.SUCCEEDED];
const FAILED_ENDINGS: ReadonlySet<RunState> = new Set<RunState>([RunState.FAILED, RunState.TIMED_OUT, RunState.LOST]);
const LOG_TAIL_LINES = 20;

/**
 * Turns one run change into at most one Slack message. The marker is claimed before posting and given back if the
 * post fails (the error then reaches the platform, which retries and finally dead-letters the event): an alert is
 * posted once, never zero times and never twice.
 */
export function createAlertRun(deps: AlertRunDeps) {
  return async function alertRun(change: RunStateChanged): Promise<AlertOutcome> {
    if (change.to === RunState.SUCCEEDED) return recovered(deps, change);
    if (!PAGED.has(change.to)) return "not-alerted";
    return postOnce(deps, change.runId, `${change.attempt}#${change.to}`, async () => {
      const run = await deps.runs.get(change.runId);
      const logTail = change.taskArn
        ? await deps.logs.tail(change.flow, change.taskArn, LOG_TAIL_LINES).catch(() => [])
        : [];
      const failureClass =
        change.to === RunState.TIMED_OUT
          ? FailureClass.timeout
          : change.to === RunState.LOST
            ? FailureClass.lost
            : change.to === RunState.SKIPPED
              ? undefined
              : classifyFailure(change);
      return runAlertMessage({
        environment: deps.environment,
        change,
        owner: deps.registry.get(change.flow)?.owner ?? "(flow no longer in the registry)",
        ...(failureClass && { failureClass }),
        retryScheduled: change.to === RunState.RETRYING,
        ...(run?.startedAt && { duration: formatDuration(run.startedAt, run.endedAt ?? change.at) }),
        ...(change.taskArn && { logLink: deps.logs.link(change.flow, change.taskArn) }),
        logTail,
      });
    });
  };
}

async function recovered(deps: AlertRunDeps, change: RunStateChanged): Promise<AlertOutcome> {
  const [previous] = (await deps.runs.listByFlow(change.flow, { limit: 5 })).filter(
    (run) => run.runId !== change.runId && run.createdAt <= change.at && run.state !== RunState.SKIPPED,
  );
  if (!previous || !FAILED_ENDINGS.has(previous.state)) return "not-alerted";
  return postOnce(deps, change.runId, "RECOVERED", async () =>
    recoveredMessage(deps.environment, change, previous.runId),
  );
}

async function postOnce(
  deps: AlertRunDeps,
  runId: string,
  key: string,
  compose: () => Promise<{ text: string; blocks: object[] }>,
): Promise<AlertOutcome> {
  if (!(await deps.markers.claim(runId, key))) return "duplicate";
  try {
    await deps.notifier.post(await compose());
    return "posted";
  } catch (error) {
    await deps.markers.release(runId, key);
    throw error;
  }
}
