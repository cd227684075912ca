import type { FlowRegistry } from "../../flows/registry/flow-registry";
import { applyTransition } from "./apply-transition";
import type { Clock, LaunchQueue, RunEventPublisher, RunStore, TaskControl } from "./ports";
import type { Run } from "./run";
import { isTerminal, RunState } from "./run-state";
import type { createRecordTaskState } from "./record-task-state";

export interface ReapLimits {
  /** Runs looked at per flow per invocation: work stays bounded however many runs are stuck. */
  runsPerFlow: number;
  /** A PENDING run without a task this old had its launcher die between recording and RunTask. */
  pendingGraceSeconds: number;
  /** A running run with no event for this long is checked against ECS (DescribeTasks). */
  silenceMinutes: number;
}

export interface ReapRunsDeps {
  registry: FlowRegistry;
  runs: RunStore;
  tasks: TaskControl;
  /** Hands the launcher a retry or a re-drive, asynchronously. */
  launches: LaunchQueue;
  events: RunEventPublisher;
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
  locksReleased: string[];
}

/**
 * The reaper's pass over every flow's active runs: stops tasks past their deadline (the run ends TIMED_OUT),
 * re-drives runs whose launcher died before RunTask, and asks ECS about runs that have gone quiet, ending them LOST
 * when ECS no longer knows the task or as the task ended when its last event was missed.
 */
export function createReapRuns(deps: ReapRunsDeps) {
  return async function reapRuns(): Promise<ReapReport> {
    const report: ReapReport = { redriven: [], retried: [], timedOut: [], lost: [], reconciled: [], locksReleased: [] };
    const now = deps.clock.now();
    const quiet: Run[] = [];
    for (const flow of deps.registry.flows) {
      for (const run of await deps.runs.listActive(flow.name, { limit: deps.limits.runsPerFlow })) {
        if (run.state === RunState.RETRYING) {
          // The one-time schedule that starts the next attempt never fired (or its launch failed for good).
          if (run.retryAt && ageSeconds(run.retryAt, now) >= deps.limits.pendingGraceSeconds) {
            await deps.launches.send({ kind: "retry", flow: run.flow, runId: run.runId, attempt: run.attempt + 1 });
            report.retried.push(run.runId);
          }
        } else if (run.state === RunState.PENDING && run.taskArn === undefined) {
          if (ageSeconds(run.updatedAt, now) >= deps.limits.pendingGraceSeconds) {
            await deps.launches.send({ kind: "redrive", flow: run.flow, runId: run.runId });
            report.redriven.push(run.runId);
          }
        } else if (run.taskArn !== undefined && Date.parse(run.deadline) <= now.getTime()) {
          const reason = `timed out: still ${run.state} after the flow's ${flow.timeoutMinutes}-minute timeout`;
          await deps.tasks.stopTask(run.taskArn, `data-flows: ${reason}`);
          if (await end(deps, run, RunState.TIMED_OUT, { reason })) report.timedOut.push(run.runId);
        } else if (run.taskArn !== undefined && ageSeconds(run.updatedAt, now) >= deps.limits.silenceMinutes * 60) {
          quiet.push(run);
        }
      }
    }
    for (const flow of deps.registry.flows.filter((candidate) => candidate.overlap === "skip")) {
      const released = await releaseStaleLock(deps, flow.name);
      if (released) report.locksReleased.push(released);
    }
    const statuses = quiet.length ? await deps.tasks.describeTasks(quiet.map((run) => run.taskArn!)) : new Map();
    for (const run of quiet) {
      const lookup = statuses.get(run.taskArn!);
      if (!lookup) continue; // no answer this time: ask again next pass
      if (!lookup.found) {
        if (
          await end(deps, run, RunState.LOST, { reason: "ECS no longer knows the task; its stop was never reported" })
        ) {
          report.lost.push(run.runId);
        }
      } else if (lookup.task.lastStatus === "STOPPED") {
        // The missed STOPPED event: what ECS says now is recorded as the recorder records any observation, so the
        // run ends (or retries) exactly as if the event had arrived.
        const outcome = await deps.recordTaskState({
          ...lookup.task,
          run: lookup.task.run ?? { runId: run.runId, attempt: run.attempt },
        });
        if (outcome.status === "applied") report.reconciled.push(run.runId);
      }
    }
    return report;
  };
}

async function end(
  deps: ReapRunsDeps,
  run: Run,
  to: RunState,
  fields: { reason?: string; exitCode?: number; stopCode?: string },
): Promise<boolean> {
  const at = deps.clock.now().toISOString();
  const result = await applyTransition(deps, {
    runId: run.runId,
    attempt: run.attempt,
    to,
    at,
    source: "reaper",
    fields: { ...fields, endedAt: at },
  });
  return result.applied;
}

/** Releases a lock whose holder has ended or never got recorded (a launcher that died before creating it). */
async function releaseStaleLock(deps: ReapRunsDeps, flow: string): Promise<string | undefined> {
  const holder = await deps.runs.lockHolder(flow);
  if (!holder) return undefined;
  const run = await deps.runs.get(holder.runId);
  if (run && !isTerminal(run.state)) return undefined;
  // A lock just taken may belong to a run its launcher is about to record.
  if (!run && ageSeconds(holder.acquiredAt, deps.clock.now()) < deps.limits.pendingGraceSeconds) return undefined;
  await deps.runs.releaseLock(flow, holder.runId);
  return holder.runId;
}

function ageSeconds(iso: string, now: Date): number {
  return (now.getTime() - Date.parse(iso)) / 1000;
}
