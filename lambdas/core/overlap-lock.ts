import { isTerminal, RunState } from "../../contracts/run-states";
import type { Run } from "./run";

/**
 * Whether a run's flow lock (overlap `skip`) must wait for its task to be seen stopped: the run was ended by someone
 * who asked ECS to stop a task that was running (a cancel, a timeout), and a task given SIGTERM may run on for its stop
 * timeout (up to 120 s). Such a lock is released when the task's STOPPED event arrives, or by the reaper once ECS says
 * the task has stopped, never on the ending itself, so the flow's next run never starts beside it.
 */
export function lockWaitsForTask(run: Run): boolean {
  if (!isTerminal(run.state) || run.taskArn === undefined) return false;
  const endingAt = run.history.findIndex((entry) => isTerminal(entry.state));
  const ending = run.history[endingAt];
  const before = run.history[endingAt - 1];
  return (
    ending !== undefined &&
    ending.source !== "recorder" &&
    (before?.state === RunState.STARTING || before?.state === RunState.RUNNING)
  );
}
