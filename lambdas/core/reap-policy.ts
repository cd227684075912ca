import { isTerminal, RunState } from "../../contracts/run-states";
import type { Run } from "./run";

export interface ReapLimits {
  /** Runs read per query; a pass pages through every active run. */
  pageSize: number;
  /** A PENDING run without a task this old had its launcher die between recording and RunTask: re-drive it. */
  pendingGraceSeconds: number;
  /**
   * The deadline of a launch: a PENDING run that has had no task this long, or a RETRYING run whose next attempt is
   * this overdue, ends FAILED with the reason (RunTask's last error) and releases its lock, once the reaper has
   * re-driven it at least once (a reaper that was itself down never ends a launch it did not try to save).
   */
  launchDeadlineSeconds: number;
  /** A running run with no event for this long is checked against ECS (DescribeTasks). */
  silenceMinutes: number;
  /** A pass starts no new work this close to its invocation's deadline. */
  safetyMarginMs: number;
}

/** What the reaper owes a live run now, judged from the run alone. */
export type DueAction =
  | { kind: "none" }
  /** A launch (or a retry) that never got its task by the launch deadline, though re-driven: it ends FAILED. */
  | { kind: "expire"; reason: string }
  /** A retry whose one-time schedule never fired (or whose launch failed): sent again. */
  | { kind: "resend-retry" }
  /** A launch whose launcher died between recording the run and RunTask: started again, same client token. */
  | { kind: "redrive" }
  /** A task to ask ECS about: past its timeout (`overdue`), or quiet for too long. */
  | { kind: "check"; overdue: boolean };

/** The one thing due for a live run at `now`, if any (a terminal run owes only its settlement). */
export function dueAction(run: Run, now: Date, limits: ReapLimits): DueAction {
  if (isTerminal(run.state)) return { kind: "none" };
  const redriven = (run.redrives ?? 0) > 0;
  if (run.state === RunState.RETRYING) {
    const overdue = run.retryAt ? ageSeconds(run.retryAt, now) : 0;
    if (overdue >= limits.launchDeadlineSeconds && redriven) {
      const next = run.attempt + 1;
      return {
        kind: "expire",
        reason: `attempt ${next} never started: its retry was due at ${run.retryAt} (${run.reason ?? "no reason recorded"})`,
      };
    }
    return overdue >= limits.pendingGraceSeconds ? { kind: "resend-retry" } : { kind: "none" };
  }
  if (run.state === RunState.PENDING && run.taskArn === undefined) {
    const waiting = ageSeconds(run.updatedAt, now);
    if (waiting >= limits.launchDeadlineSeconds && redriven) {
      const why = run.lastLaunchError ?? "RunTask never answered";
      return {
        kind: "expire",
        reason: `launch failed: no task after ${Math.round(waiting / 60)} minutes; last RunTask error: ${why}`,
      };
    }
    return waiting >= limits.pendingGraceSeconds ? { kind: "redrive" } : { kind: "none" };
  }
  if (run.taskArn === undefined) return { kind: "none" };
  // Past its timeout: asked of ECS first, since its STOPPED event may only be late.
  if (Date.parse(run.deadline) <= now.getTime()) return { kind: "check", overdue: true };
  if (ageSeconds(run.updatedAt, now) >= limits.silenceMinutes * 60) return { kind: "check", overdue: false };
  return { kind: "none" };
}

/**
 * Whether a listed run may need the reaper, read from the listing (which may be stale): anything owed or due, or a
 * RETRYING run the listing shows without its retry time. The reaper then reads the run itself before acting.
 */
export function mayBeDue(run: Run, now: Date, limits: ReapLimits): boolean {
  if (run.settlement || isTerminal(run.state)) return true;
  if (run.state === RunState.RETRYING && !run.retryAt) return true;
  return dueAction(run, now, limits).kind !== "none";
}

export function ageSeconds(iso: string, now: Date): number {
  return (now.getTime() - Date.parse(iso)) / 1000;
}
