import type { LaunchCommand } from "../../contracts/launch-commands";
import type { RunStateChanged } from "../../contracts/run-events";
import { isTerminal, RunState, Trigger } from "../../contracts/run-states";
import { intervalAsOf } from "./data-interval";
import type { CancelOutcome } from "./cancel-run";
import { cancelRun } from "./cancel-run";
import type { FlowPauseOutcome } from "./flow-pause";
import { pauseOrResume } from "./flow-pause";
import { InvalidLaunchRequestError } from "./launch-command";
import { once } from "../lazy";
import type { NewRunDeps, NewRunOutcome } from "./new-run";
import { checkedParams, createLaunchNew } from "./new-run";
import type { BackfillStore } from "./ports";
import type { Run } from "./run";
import { redrive, startRetry } from "./run-attempts";
import type { BackfillOutcome } from "./run-backfill";
import { createBackfills } from "./run-backfill";

export type LaunchOutcome = NewRunOutcome | CancelOutcome;

/** What a command about a flow (not one run) did. */
export type FlowOutcome = BackfillOutcome | FlowPauseOutcome;

export interface LaunchRunDeps extends NewRunDeps {
  backfills: BackfillStore;
}

type LaunchNew = ReturnType<typeof createLaunchNew>;

/**
 * The launcher's use cases, one dispatcher for every command kind: new runs (`new-run.ts`, their ids and intervals in
 * `run-request.ts`), attempts (`run-attempts.ts`), cancels (`cancel-run.ts`), backfills (`run-backfill.ts`) and
 * pauses (`flow-pause.ts`). A run change from the bus starts the flows downstream and moves backfills on.
 */
export function createLauncher(deps: LaunchRunDeps) {
  const launchNew = createLaunchNew(deps);
  const backfills = createBackfills({
    ...deps,
    launchSlot: (slot) => launchNew({ kind: "backfill-slot", ...slot }),
    cancelRun: (request) => cancelRun(deps, request),
  });
  return async function launch(command: LaunchCommand): Promise<(LaunchOutcome | FlowOutcome)[]> {
    switch (command.kind) {
      case "schedule":
      case "manual":
        return [await launchNew(command)];
      case "rerun":
        return [await rerun(deps, launchNew, command)];
      case "backfill": {
        const { kind: _, ...request } = command;
        const flow = deps.registry.require(command.flow);
        return [await backfills.start({ ...request, params: checkedParams(flow, command.params) })];
      }
      case "backfill-advance":
        return [await backfills.advance(command.backfillId)];
      case "backfill-cancel":
        return [await backfills.cancel(command)];
      case "retry":
        return [await startRetry(deps, command)];
      case "redrive":
        return [await redrive(deps, command.flow, command.runId)];
      case "cancel":
        return [await cancelRun(deps, command)];
      case "pause":
      case "resume":
        return [await pauseOrResume(deps, command)];
      case "run-changed": {
        // Both follow-ups may want the run that changed: read it once, and only if one does.
        const changed = once(() => deps.runs.get(command.change.runId));
        return [
          ...(await launchDownstream(deps, launchNew, command.change, changed)),
          ...(await advanceBackfillOf(backfills, command.change, changed)),
        ];
      }
    }
  };
}

/** A new manual run of a run's flow with its params and data interval, linked to it (`rerunOf`). */
async function rerun(
  deps: LaunchRunDeps,
  launchNew: LaunchNew,
  command: Extract<LaunchCommand, { kind: "rerun" }>,
): Promise<NewRunOutcome> {
  const original = await deps.runs.get(command.runId);
  if (!original) throw new InvalidLaunchRequestError(`no run ${command.runId}`);
  return launchNew({
    kind: "rerun-run",
    flow: original.flow,
    params: original.params,
    dataInterval: original.dataInterval,
    rerunOf: original.runId,
    requestedBy: command.requestedBy,
    ...(command.requestId !== undefined && { requestId: command.requestId }),
  });
}

/**
 * Starts the flows that follow `change.flow` when it succeeds, each once per upstream run (a redelivered success
 * finds the downstream run recorded and launches nothing).
 */
async function launchDownstream(
  deps: LaunchRunDeps,
  launchNew: LaunchNew,
  change: RunStateChanged,
  changed: () => Promise<Run | undefined>,
): Promise<NewRunOutcome[]> {
  if (change.to !== RunState.SUCCEEDED) return [];
  const downstream = deps.registry.downstreamOf(change.flow);
  if (!downstream.length) return [];
  const upstream = await changed();
  const outcomes: NewRunOutcome[] = [];
  for (const flow of downstream) {
    const dataInterval = upstream?.dataInterval ?? intervalAsOf(flow, new Date(change.at));
    outcomes.push(
      await launchNew({ kind: "upstream-run", flow: flow.name, upstreamRunId: change.runId, dataInterval }),
    );
  }
  return outcomes;
}

/** A backfill run ended: its backfill's lanes move on (the reaper does the same each pass, should this be lost). */
async function advanceBackfillOf(
  backfills: ReturnType<typeof createBackfills>,
  change: RunStateChanged,
  changed: () => Promise<Run | undefined>,
): Promise<BackfillOutcome[]> {
  if (change.trigger !== Trigger.backfill || !isTerminal(change.to)) return [];
  const run = await changed();
  return run?.backfillId ? [await backfills.advance(run.backfillId)] : [];
}
