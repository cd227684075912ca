import type { FlowRegistry } from "../../flows/registry/flow-registry";
import { classifyFailure, FailureClass } from "./classify-failure";
import type { AlertMarkers, Clock, Invocation, Notifier, RunStore, TaskLogs } from "./ports";
import type { RunStateChanged } from "../../contracts/run-events";
import { formatDuration } from "./duration";
import { PAGED_STATES } from "../../contracts/event-routes";
import { RunState } from "../../contracts/run-states";
import { pausedMessage, recoveredMessage, runAlertMessage } from "./slack-message";

export interface AlertRunDeps {
  registry: FlowRegistry;
  runs: RunStore;
  markers: AlertMarkers;
  notifier: Notifier;
  logs: TaskLogs;
  environment: string;
  clock: Clock;
}

export type AlertOutcome = "posted" | "duplicate" | "not-alerted";

const PAGED: ReadonlySet<RunState> = new Set(PAGED_STATES);
const LOG_TAIL_LINES = 20;

/** How long a claim lasts when the invocation's deadline is unknown (a local call): Lambda's longest timeout. */
const DEFAULT_CLAIM_MS = 15 * 60_000;

/**
 * Turns one run change into exactly one Slack message. The alert's marker is claimed before posting, until the
 * invocation's deadline, and completed once Slack has it. A failed post gives the marker back and fails the
 * invocation, so the platform retries (and finally dead-letters) the event; a poster killed mid-post leaves a claim
 * that expires at its deadline, so the retry posts. A post Slack took whose answer was lost counts as delivered.
 */
export function createAlertRun(deps: AlertRunDeps) {
  return async function alertRun(change: RunStateChanged, invocation?: Invocation): Promise<AlertOutcome> {
    if (change.to === RunState.SUCCEEDED) return recovered(deps, change, invocation);
    if (!PAGED.has(change.to)) return "not-alerted";
    if (change.to === RunState.SKIPPED && change.pausedAt !== undefined) {
      return pauseNotice(deps, change, change.pausedAt, invocation);
    }
    return postOnce(deps, invocation, change.runId, `${change.attempt}#${change.to}`, async () => {
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
        ...(run?.dataInterval && { dataInterval: run.dataInterval }),
        ...(change.taskArn && { logLink: deps.logs.link(change.flow, change.taskArn) }),
        logTail,
      });
    });
  };
}

/** A success that follows a failed run (the recorder named it in `recoversFrom`) posts one "recovered" note. */
async function recovered(
  deps: AlertRunDeps,
  change: RunStateChanged,
  invocation: Invocation | undefined,
): Promise<AlertOutcome> {
  const previousRunId = change.recoversFrom;
  if (!previousRunId) return "not-alerted";
  return postOnce(deps, invocation, change.runId, "RECOVERED", async () =>
    recoveredMessage(deps.environment, change, previousRunId),
  );
}

/**
 * A fire skipped because its flow is paused: on-call hears of the pause once (at its first skipped fire), not at
 * every fire it holds; the marker is the pause's, under its flow.
 */
async function pauseNotice(
  deps: AlertRunDeps,
  change: RunStateChanged,
  pausedAt: string,
  invocation: Invocation | undefined,
): Promise<AlertOutcome> {
  return postOnce(deps, invocation, change.flow, `PAUSE#${pausedAt}`, async () =>
    pausedMessage(deps.environment, change),
  );
}

async function postOnce(
  deps: AlertRunDeps,
  invocation: Invocation | undefined,
  subject: string,
  key: string,
  compose: () => Promise<{ text: string; blocks: object[] }>,
): Promise<AlertOutcome> {
  const deadline = invocation?.deadline ?? new Date(deps.clock.now().getTime() + DEFAULT_CLAIM_MS);
  if (!(await deps.markers.claim(subject, key, { until: deadline }))) return "duplicate";
  let delivery;
  try {
    delivery = await deps.notifier.post(await compose(), { deadline });
  } catch (error) {
    await deps.markers.release(subject, key);
    throw error;
  }
  await deps.markers.complete(subject, key, delivery);
  return "posted";
}
