import type { FlowDefinition } from "../../flows/registry/flow-definition";
import type { FlowRegistry } from "../../flows/registry/flow-registry";
import { applyTransition, completeChange, previousState } from "./apply-transition";
import type {
  BackfillStore,
  Clock,
  FlowStateStore,
  Invocation,
  LaunchQueue,
  RetryScheduler,
  RunEventPublisher,
  RunStore,
  TaskControl,
  TaskLookup,
} from "./ports";
import type { Run, Settlement } from "./run";
import { isTerminal, RunState } from "../../contracts/run-states";
import type { createRecordTaskState } from "./record-task-state";
import { lockWaitsForTask } from "./overlap-lock";
import { stopStrayTasks } from "./reap-strays";
import type { ReapLimits } from "./reap-policy";
import { ageSeconds, dueAction, mayBeDue } from "./reap-policy";

export interface ReapRunsDeps {
  registry: FlowRegistry;
  runs: RunStore;
  tasks: TaskControl;
  /** Hands the launcher a retry or a re-drive, asynchronously. */
  launches: LaunchQueue;
  events: RunEventPublisher;
  /** The backfills still ACTIVE, each handed to the launcher to move on. */
  backfills: Pick<BackfillStore, "listActive">;
  /** Where owed watermark commits go, when the reaper finishes a success's settlement. */
  flowState: Pick<FlowStateStore, "commitWatermark">;
  /** Where an owed retry goes, when the reaper finishes a failed attempt's settlement. */
  retries: Pick<RetryScheduler, "schedule">;
  /** The recorder's use case, for stops whose event was lost. */
  recordTaskState: ReturnType<typeof createRecordTaskState>;
  clock: Clock;
  limits: ReapLimits;
}

export interface ReapReport {
  redriven: string[];
  retried: string[];
  timedOut: string[];
  lost: string[];
  reconciled: string[];
  /** Runs that never got a task (or a retry) by their launch deadline: ended FAILED. */
  expired: string[];
  /** Endings whose owed work (announcement, StopTask, lock) this pass finished. */
  settled: string[];
  locksReleased: string[];
  /** Active backfills handed to the launcher to move on. */
  backfillsNudged: string[];
  /** Tasks ECS was running that no run records as its own (a lost launch race, a failed stop): stopped. */
  straysStopped: string[];
  /**
   * Runs the active index lists but the table does not hold: an index entry that outlived its item (a GSI is
   * eventually consistent; dynalite, killed mid-write, can leave one for good). Nothing is done for them.
   */
  phantoms: string[];
  /** Runs this pass could not handle, with why; the next pass tries them again. */
  failed: { runId: string; error: string }[];
  /** The pass stopped before its invocation's deadline with work left: the next pass continues. */
  incomplete: boolean;
}

/**
 * The reaper's pass over every flow's active runs. Each run has a deadline in each state it can be in, and the reaper
 * ends what outlives it: tasks past their timeout are stopped (the run ends TIMED_OUT, written first), launches that
 * never got a task end FAILED, quiet runs are checked against ECS (LOST, or ended as ECS says). It re-drives stranded
 * launches and overdue retries, and finishes the follow-up work of endings whose side effects failed. One run's
 * failure never stops the pass, and the pass stops before the invocation's deadline.
 */
export function createReapRuns(deps: ReapRunsDeps) {
  const change = {
    runs: deps.runs,
    events: deps.events,
    taskControl: deps.tasks,
    flowState: deps.flowState,
    retries: deps.retries,
  };

  return async function reapRuns(invocation?: Invocation): Promise<ReapReport> {
    const report: ReapReport = {
      redriven: [],
      retried: [],
      timedOut: [],
      lost: [],
      reconciled: [],
      expired: [],
      settled: [],
      locksReleased: [],
      backfillsNudged: [],
      straysStopped: [],
      phantoms: [],
      failed: [],
      incomplete: false,
    };
    const stopBy = invocation ? invocation.deadline.getTime() - deps.limits.safetyMarginMs : Infinity;
    const inTime = () => {
      if (deps.clock.now().getTime() < stopBy) return true;
      report.incomplete = true;
      return false;
    };
    const isolated = async (runId: string, work: () => Promise<void>) => {
      try {
        await work();
      } catch (error) {
        report.failed.push({
          runId,
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        });
      }
    };

    const toCheck: Check[] = [];
    pages: for (const flow of deps.registry.flows) {
      let cursor: string | undefined;
      do {
        if (!inTime()) break pages;
        const page = await deps.runs.listActivePage(flow.name, {
          limit: deps.limits.pageSize,
          ...(cursor && { cursor }),
        });
        for (const run of page.runs) {
          if (!inTime()) break pages;
          await isolated(run.runId, () => reapOne(flow, run, report, toCheck));
        }
        cursor = page.cursor;
      } while (cursor);
    }

    // DescribeTasks takes at most 100 tasks per call.
    for (const batch of batches(toCheck, 100)) {
      if (!inTime()) break;
      let lookups: Map<string, TaskLookup>;
      try {
        lookups = await deps.tasks.describeTasks(batch.map(({ run }) => run.taskArn!));
      } catch (error) {
        // ECS cannot say: overdue runs still time out (a stop is harmless if the task already ended); quiet ones
        // wait for the next pass.
        for (const check of batch) {
          if (check.overdue) await isolated(check.run.runId, () => timeOut(check, report));
          else report.failed.push({ runId: check.run.runId, error: String(error) });
        }
        continue;
      }
      for (const check of batch) {
        const { run } = check;
        const lookup = lookups.get(run.taskArn!);
        await isolated(run.runId, async () => {
          if (!lookup) {
            if (check.overdue) await timeOut(check, report); // no answer for this task: a quiet one is asked again
          } else if (!lookup.found) {
            if (await end(run, RunState.LOST, "ECS no longer knows the task; its stop was never reported", {})) {
              report.lost.push(run.runId);
            }
          } else if (lookup.task.lastStatus === "STOPPED") {
            // The stop whose event was lost or is late: what ECS says is recorded as the recorder records any
            // observation, so the run ends (or retries) exactly as if the event had arrived, even past its
            // deadline: a task that finished on its own did not time out.
            const outcome = await deps.recordTaskState({
              ...lookup.task,
              run: lookup.task.run ?? { runId: run.runId, attempt: run.attempt },
            });
            if (outcome.status === "applied") report.reconciled.push(run.runId);
          } else if (check.overdue) {
            await timeOut(check, report);
          }
        });
      }
    }

    // What ECS runs is held to the runs: a task no run owns (its launch lost a race, its stop failed, its events were
    // lost) would otherwise run on unwatched, and a run's next attempt beside it.
    if (inTime()) {
      await isolated("running tasks", async () => {
        report.straysStopped.push(...(await stopStrayTasks(deps, inTime)));
      });
    }

    for (const flow of deps.registry.flows.filter((candidate) => candidate.overlap === "skip")) {
      if (!inTime()) break;
      await isolated(`lock of ${flow.name}`, async () => {
        const released = await releaseStaleLock(deps, flow.name);
        if (released) report.locksReleased.push(released);
      });
    }

    // Backfills move on when one of their runs ends; a lost ending only delays them until this nudge.
    if (inTime()) {
      await isolated("backfills", async () => {
        for (const backfill of await deps.backfills.listActive({ limit: deps.limits.pageSize })) {
          await deps.launches.send({ kind: "backfill-advance", backfillId: backfill.backfillId });
          report.backfillsNudged.push(backfill.backfillId);
        }
      });
    }
    return report;
  };

  /**
   * Acts on one active run, if anything is due. What the index lists may be stale (a GSI is eventually consistent;
   * dynalite killed mid-write can leave an entry that disagrees with its item for good), so the reaper acts on a
   * consistent read of the run, and the write it makes puts the index right.
   */
  async function reapOne(flow: FlowDefinition, listed: Run, report: ReapReport, toCheck: Check[]): Promise<void> {
    if (!mayBeDue(listed, deps.clock.now(), deps.limits)) return;
    const run = await deps.runs.get(listed.runId);
    if (!run) {
      report.phantoms.push(listed.runId);
      return;
    }
    await actOn(flow, run, report, toCheck);
  }

  async function actOn(flow: FlowDefinition, run: Run, report: ReapReport, toCheck: Check[]): Promise<void> {
    if (run.settlement) {
      // A change whose follow-up work (announcement, StopTask, lock release) failed after it was written.
      await completeChange(change, run, previousState(run));
      report.settled.push(run.runId);
    }
    const due = dueAction(run, deps.clock.now(), deps.limits);
    switch (due.kind) {
      case "none":
        return;
      case "expire":
        if (await end(run, RunState.FAILED, due.reason, {})) report.expired.push(run.runId);
        return;
      case "resend-retry":
        await deps.launches.send({ kind: "retry", flow: run.flow, runId: run.runId, attempt: run.attempt + 1 });
        await deps.runs.noteRedrive(run.runId, run.attempt);
        report.retried.push(run.runId);
        return;
      case "redrive":
        await deps.launches.send({ kind: "redrive", flow: run.flow, runId: run.runId });
        await deps.runs.noteRedrive(run.runId, run.attempt);
        report.redriven.push(run.runId);
        return;
      case "check":
        toCheck.push({ run, flow, overdue: due.overdue });
        return;
    }
  }

  /** TIMED_OUT is written before StopTask: ECS's own STOPPED (UserInitiated) event then finds the run ended. */
  async function timeOut({ run, flow }: Check, report: ReapReport): Promise<void> {
    const reason = `timed out: still ${run.state} after the flow's ${flow.timeoutMinutes}-minute timeout`;
    if (await end(run, RunState.TIMED_OUT, reason, { stopTask: true })) report.timedOut.push(run.runId);
  }

  /** Ends a run as the reaper decides, owing the settlement until its side effects are done. */
  async function end(run: Run, to: RunState, reason: string, settle: Settlement): Promise<boolean> {
    const at = deps.clock.now().toISOString();
    const result = await applyTransition(change, {
      runId: run.runId,
      attempt: run.attempt,
      to,
      at,
      source: "reaper",
      fields: { reason, endedAt: at },
      settle,
    });
    return result.applied;
  }
}

/**
 * Releases a lock whose holder has ended (its task, if it was asked to stop, seen stopped by ECS) or never got recorded
 * (a launcher that died before creating it).
 */
async function releaseStaleLock(deps: ReapRunsDeps, flow: string): Promise<string | undefined> {
  const holder = await deps.runs.lockHolder(flow);
  if (!holder) return undefined;
  const run = await deps.runs.get(holder.runId);
  if (run && !isTerminal(run.state)) return undefined;
  // A lock just taken may belong to a run its launcher is about to record.
  if (!run && ageSeconds(holder.acquiredAt, deps.clock.now()) < deps.limits.pendingGraceSeconds) return undefined;
  if (run && lockWaitsForTask(run)) {
    const lookup = (await deps.tasks.describeTasks([run.taskArn!])).get(run.taskArn!);
    const stopped = lookup !== undefined && (!lookup.found || lookup.task.lastStatus === "STOPPED");
    if (!stopped) return undefined; // still shutting down (or ECS gave no answer): the next pass looks again
  }
  await deps.runs.releaseLock(flow, holder.runId);
  return holder.runId;
}

/** A run with a task to ask ECS about: past its deadline (`overdue`), or quiet for too long. */
interface Check {
  run: Run;
  flow: FlowDefinition;
  overdue: boolean;
}

function* batches<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
}
