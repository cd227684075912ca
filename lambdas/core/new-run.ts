import type { FlowDefinition } from "../../flows/registry/flow-definition";
import { checkParams, describeParamProblems } from "../../flows/registry/flow-params";
import { isTerminal, RunState } from "../../contracts/run-states";
import { completeChange, previousState } from "./apply-transition";
import { InvalidLaunchRequestError } from "./launch-command";
import type { FlowPause, NonceSource } from "./ports";
import type { NewRun, Run } from "./run";
import type { AttemptDeps, AttemptOutcome } from "./run-attempts";
import { isStranded, pausedReason, startAttempt } from "./run-attempts";
import type { RunRequest } from "./run-request";
import { plannedRun, sameRequest } from "./run-request";
import { lockWaitsForTask } from "./overlap-lock";
import { runTaskProblems } from "./task-request";

/** What a request for a new run became: its first attempt's launch, a duplicate of a run that exists, or a skip. */
export type NewRunOutcome = AttemptOutcome | { status: "skipped"; run: Run; reason: string };

export interface NewRunDeps extends AttemptDeps {
  nonces: NonceSource;
  /** A lock whose holder is not recorded is taken over only after this long: its launcher must have died. */
  lockTakeoverSeconds: number;
}

/** Fresh ids a launch tries when a generated manual run id is taken already (it never is by chance: 50 bits). */
const MANUAL_ID_ATTEMPTS = 3;

/**
 * Records a new run and starts its first attempt, exactly once per run id: a repeated request finds the run and
 * launches nothing, unless the earlier launcher died between recording and RunTask, in which case the launch is
 * re-driven with the same client token (ECS returns the task it may already have started). A fire later than the
 * flow's max lateness, of a paused flow, or one that would overlap an active run of a `skip` flow, is recorded
 * SKIPPED. A request ECS could not take is refused before anything is recorded.
 */
export function createLaunchNew(deps: NewRunDeps) {
  return async function launchNew(command: RunRequest): Promise<NewRunOutcome> {
    const flow = deps.registry.require(command.flow);
    const params = checkedParams(flow, "params" in command ? command.params : {});
    for (let tries = 1; ; tries += 1) {
      const now = deps.clock.now();
      const planned = plannedRun(flow, command, params, now, deps.nonces);
      const problems = runTaskProblems(planned);
      if (problems.length) throw new InvalidLaunchRequestError(`${flow.name}: ${problems.join("; ")}`);
      const late = lateness(flow, command, now);
      const pause = late === undefined ? await pauseHolding(deps, flow, command) : undefined;
      const held = late ?? (pause && pausedReason(pause));
      // A backfill's slots take turns in its lanes (`--max-concurrent`), not the flow's overlap lock.
      const lock =
        held || command.kind === "backfill-slot" ? { holdsLock: false } : await overlap(deps, flow, planned.runId);
      const skipReason = held ?? lock.skipReason;
      const run: NewRun = skipReason
        ? {
            ...planned,
            state: RunState.SKIPPED,
            reason: skipReason,
            settlement: {},
            ...(pause && { pausedAt: pause.pausedAt }),
          }
        : { ...planned, ...(lock.holdsLock && { holdsLock: true }) };
      const created = await deps.runs.create(run);
      if (created.created) {
        await completeChange(deps, created.run, null);
        if (skipReason) return { status: "skipped", run: created.run, reason: skipReason };
        return startAttempt(deps, flow, created.run);
      }
      const existing = created.run;
      const byHand = command.kind === "manual" || command.kind === "rerun-run";
      if (byHand && !sameRequest(existing, run, { namedByClient: command.requestId !== undefined })) {
        // Another request took this id. Ours generated its nonce: draw another. A client's own request id: refuse.
        if (command.requestId) {
          throw new InvalidLaunchRequestError(
            `requestId: ${command.requestId} already names run ${existing.runId}, with other params`,
          );
        }
        if (tries < MANUAL_ID_ATTEMPTS) continue;
        throw new Error(
          `${flow.name}: ${MANUAL_ID_ATTEMPTS} generated run ids were all taken; is the nonce source random?`,
        );
      }
      return resumeExisting(deps, flow, existing, run.holdsLock === true);
    }
  };
}

/** The run's params checked against its flow's declarations, or the request refused naming each bad param. */
export function checkedParams(flow: FlowDefinition, given: Record<string, string>): Record<string, string> {
  const checked = checkParams(flow.params, given);
  if (!checked.ok)
    throw new InvalidLaunchRequestError(`flow "${flow.name}": ${describeParamProblems(checked.problems)}`);
  return checked.params;
}

/** A second request for a run that exists: finish what an earlier launcher left undone, or report the duplicate. */
async function resumeExisting(
  deps: NewRunDeps,
  flow: FlowDefinition,
  run: Run,
  tookLock: boolean,
): Promise<NewRunOutcome> {
  if (isStranded(run, run.attempt)) return startAttempt(deps, flow, run);
  // An ending this launcher (or another) wrote but could not finish announcing: finish it now.
  if (run.settlement) await completeChange(deps, run, previousState(run));
  // A late duplicate of a run that has ended must not leave the lock it just re-took.
  else if (tookLock && isTerminal(run.state)) await deps.runs.releaseLock(flow.name, run.runId);
  return { status: "duplicate", run };
}

function lateness(flow: FlowDefinition, command: RunRequest, now: Date): string | undefined {
  if (command.kind !== "schedule") return undefined;
  const lateMinutes = (now.getTime() - Date.parse(command.scheduledTime)) / 60_000;
  if (lateMinutes <= flow.maxLatenessMinutes) return undefined;
  return `late: fired ${Math.round(lateMinutes)} minutes after its slot (max lateness ${flow.maxLatenessMinutes})`;
}

/**
 * The pause that holds this request, if any. Only what starts itself is held (a schedule fire, an upstream success);
 * an operator's own run, rerun or backfill goes ahead.
 */
async function pauseHolding(
  deps: NewRunDeps,
  flow: FlowDefinition,
  command: RunRequest,
): Promise<FlowPause | undefined> {
  if (command.kind !== "schedule" && command.kind !== "upstream-run") return undefined;
  return deps.flowState.pauseOf(flow.name);
}

/**
 * For a `skip` flow, takes the flow's lock for this run, or says why not when another run holds it. The lock is
 * taken over only from a holder proven gone: a run that has ended (its release was lost), or one that was never
 * recorded although its lock is older than any launcher takes to record it. A holder not recorded *yet* keeps it.
 */
async function overlap(
  deps: NewRunDeps,
  flow: FlowDefinition,
  runId: string,
): Promise<{ holdsLock: boolean; skipReason?: string }> {
  if (flow.overlap !== "skip") return { holdsLock: false };
  const now = deps.clock.now();
  let lock = await deps.runs.acquireLock(flow.name, runId, now.toISOString());
  if (lock.acquired) return { holdsLock: true };
  const holder = await deps.runs.get(lock.holder);
  // A holder that ended is gone, unless its task, asked to stop, may still be running: the reaper releases that lock
  // once ECS says the task has stopped.
  const gone = holder
    ? isTerminal(holder.state) && !lockWaitsForTask(holder)
    : (now.getTime() - Date.parse(lock.acquiredAt)) / 1000 >= deps.lockTakeoverSeconds;
  if (gone) {
    lock = await deps.runs.acquireLock(flow.name, runId, now.toISOString(), lock.holder);
    if (lock.acquired) return { holdsLock: true };
  }
  const state = !holder
    ? "being recorded"
    : isTerminal(holder.state)
      ? `stopping its task (${holder.state})`
      : holder.state;
  return { holdsLock: false, skipReason: `overlap: ${lock.holder} is still ${state}` };
}
