import type { RunStore, TaskControl } from "./ports";
import { isStrayTask } from "./stray-task";

/**
 * Holds what ECS runs to the runs: every task data-flows started that no run records as its own (see
 * {@link isStrayTask}), or whose run no longer exists, is stopped. Returns the tasks it stopped. A task whose launch is
 * still being recorded (its run PENDING, no task yet) is its run's, and left alone.
 */
export async function stopStrayTasks(
  deps: { runs: Pick<RunStore, "get">; tasks: Pick<TaskControl, "listRunning" | "stopTask"> },
  inTime: () => boolean,
): Promise<string[]> {
  const stopped: string[] = [];
  for (const task of await deps.tasks.listRunning()) {
    if (!inTime()) break;
    if (!task.run) continue; // started by data-flows, yet no run's: nothing here says what it is
    const run = await deps.runs.get(task.run.runId);
    if (run && !isStrayTask(run, { taskArn: task.taskArn, attempt: task.run.attempt })) continue;
    const why = run ? `the run is at attempt ${run.attempt}, ${run.state}` : "no run records it";
    await deps.tasks.stopTask(
      task.taskArn,
      `data-flows: stray task of ${task.run.runId} attempt ${task.run.attempt} (${why})`,
    );
    stopped.push(task.taskArn);
  }
  return stopped;
}
