import type { Run } from "./run";
import { isTerminal, RunState } from "../../contracts/run-states";

/**
 * Whether a live task of `attempt` has no place in its run as stored: a later attempt took over, another task holds
 * the attempt, or the attempt ended without it. Nobody records such a task's ending, so it must be stopped. Two
 * launches of one attempt racing (a re-drive and a platform retry, one meeting no capacity while the other starts the
 * task) leave exactly this behind.
 */
export function isStrayTask(run: Run, task: { taskArn: string; attempt: number }): boolean {
  if (run.attempt !== task.attempt) return run.attempt > task.attempt;
  if (run.taskArn !== undefined) return run.taskArn !== task.taskArn;
  return isTerminal(run.state) || run.state === RunState.RETRYING;
}
