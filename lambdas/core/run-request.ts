import type { FlowDefinition } from "../../flows/registry/flow-definition";
import { RunState, Trigger } from "../../contracts/run-states";
import type { DataInterval } from "./data-interval";
import { intervalAsOf, intervalEndingAt } from "./data-interval";
import type { NewRunCommand } from "./launch-command";
import type { NonceSource } from "./ports";
import type { NewRun } from "./run";
import { backfillRunId, manualRunId, requestedRunId, scheduledRunId, upstreamRunId } from "./run-id";

/** The runs the launcher starts on its own account: for an upstream success, a backfill slot, a rerun. */
export type InternalRunCommand =
  | {
      /** A downstream flow's run, started by an upstream run's success: one per upstream run. */
      kind: "upstream-run";
      flow: string;
      upstreamRunId: string;
      /** The upstream run's interval: the downstream run processes what it produced. */
      dataInterval: DataInterval;
    }
  | { kind: "backfill-slot"; flow: string; scheduledTime: string; params: Record<string, string>; backfillId: string }
  | {
      kind: "rerun-run";
      flow: string;
      params: Record<string, string>;
      dataInterval: DataInterval;
      rerunOf: string;
      requestId?: string;
      requestedBy: string;
    };

/** Every request for one new run. */
export type RunRequest = NewRunCommand | InternalRunCommand;

/** What one kind of request decides of its run: its trigger, its id and its data interval. */
interface RequestKind<C extends RunRequest> {
  trigger: Trigger;
  runId(flow: FlowDefinition, command: C, now: Date, nonces: NonceSource): string;
  interval(flow: FlowDefinition, command: C, now: Date): DataInterval;
  /** What the run remembers of where it came from. */
  links?(command: C): Partial<Pick<NewRun, "backfillId" | "rerunOf" | "requestedBy">>;
}

/** A run asked for by hand: its client's request id names it, or a fresh nonce does. */
const byHand = (flow: FlowDefinition, command: { requestId?: string }, now: Date, nonces: NonceSource) =>
  command.requestId !== undefined
    ? requestedRunId(flow.name, command.requestId)
    : manualRunId(flow.name, now, nonces.nonce());

const slotOf = (command: { scheduledTime: string }) => new Date(command.scheduledTime);

const KINDS: { [K in RunRequest["kind"]]: RequestKind<Extract<RunRequest, { kind: K }>> } = {
  schedule: {
    trigger: Trigger.schedule,
    runId: (flow, command) => scheduledRunId(flow.name, slotOf(command)),
    interval: (flow, command) => intervalEndingAt(flow, slotOf(command)),
  },
  "backfill-slot": {
    trigger: Trigger.backfill,
    runId: (flow, command) => backfillRunId(flow.name, slotOf(command)),
    interval: (flow, command) => intervalEndingAt(flow, slotOf(command)),
    links: (command) => ({ backfillId: command.backfillId }),
  },
  manual: {
    trigger: Trigger.manual,
    runId: byHand,
    // `at` asks for the interval of another moment than now (the latest complete one as of then).
    interval: (flow, command, now) => intervalAsOf(flow, command.at ? new Date(command.at) : now),
    links: (command) => (command.requestedBy !== undefined ? { requestedBy: command.requestedBy } : {}),
  },
  "rerun-run": {
    trigger: Trigger.manual,
    runId: byHand,
    interval: (_, command) => command.dataInterval,
    links: (command) => ({ rerunOf: command.rerunOf, requestedBy: command.requestedBy }),
  },
  "upstream-run": {
    trigger: Trigger.upstream,
    runId: (flow, command) => upstreamRunId(flow.name, command.upstreamRunId),
    interval: (_, command) => command.dataInterval,
  },
};

/** The run a request asks for; `params` are the run's effective params, already checked against the flow's. */
export function plannedRun(
  flow: FlowDefinition,
  command: RunRequest,
  params: Record<string, string>,
  now: Date,
  nonces: NonceSource,
): NewRun {
  const kind = KINDS[command.kind] as RequestKind<RunRequest>;
  return {
    runId: kind.runId(flow, command, now, nonces),
    flow: flow.name,
    trigger: kind.trigger,
    ...("scheduledTime" in command && { scheduledFor: slotOf(command).toISOString() }),
    ...kind.links?.(command),
    dataInterval: kind.interval(flow, command, now),
    params,
    state: RunState.PENDING,
    attempt: 1,
    maxAttempts: flow.retries + 1,
    flowRetries: flow.retries,
    createdAt: now.toISOString(),
    deadline: attemptDeadline(now, flow),
  };
}

/** When an attempt started now must have ended. */
export function attemptDeadline(now: Date, flow: Pick<FlowDefinition, "timeoutMinutes">): string {
  return new Date(now.getTime() + flow.timeoutMinutes * 60_000).toISOString();
}

/**
 * Whether a run that exists under the id a request asked for is that request's: the same trigger and params (and the
 * same run re-run). A client's request id names the request, so its resend matches whenever it comes; a generated id
 * must also agree on the slot and the data interval, which were taken from the moment it was made.
 */
export function sameRequest(existing: NewRun, requested: NewRun, options: { namedByClient: boolean }): boolean {
  const asked =
    existing.trigger === requested.trigger &&
    existing.rerunOf === requested.rerunOf &&
    JSON.stringify(sorted(existing.params)) === JSON.stringify(sorted(requested.params));
  if (!asked || options.namedByClient) return asked;
  return (
    existing.scheduledFor === requested.scheduledFor &&
    existing.dataInterval.start === requested.dataInterval.start &&
    existing.dataInterval.end === requested.dataInterval.end
  );
}

function sorted(params: Record<string, string>): [string, string][] {
  return Object.entries(params).sort(([a], [b]) => a.localeCompare(b));
}
