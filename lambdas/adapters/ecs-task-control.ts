import type { ECSClient, Task } from "@aws-sdk/client-ecs";
import {
  DescribeTasksCommand,
  InvalidParameterException,
  ListTasksCommand,
  StopTaskCommand,
} from "@aws-sdk/client-ecs";
import { runReferenceOf } from "../../contracts/task-environment";
import type { RunningTask, TaskControl, TaskLookup } from "../core/ports";
import { STARTED_BY_PREFIX, startedBy } from "../core/run-id";
import type { TaskObservation } from "../core/task-observation";
import { UNVERSIONED } from "../core/task-observation";

const DESCRIBE_BATCH = 100; // DescribeTasks takes at most 100 tasks per call.

/** {@link TaskControl} on one ECS cluster. */
export class EcsTaskControl implements TaskControl {
  constructor(private readonly options: { client: ECSClient; clusterArn: string }) {}

  async stopTask(taskArn: string, reason: string): Promise<void> {
    try {
      // StopTask's reason shows as the task's stoppedReason, limited to 255 characters.
      await this.options.client.send(
        new StopTaskCommand({ cluster: this.options.clusterArn, task: taskArn, reason: reason.slice(0, 255) }),
      );
    } catch (error) {
      // A task ECS no longer knows has stopped long ago: what was asked is done.
      if (error instanceof InvalidParameterException && /task was not found/i.test(error.message)) return;
      throw error;
    }
  }

  async describeTasks(taskArns: readonly string[]): Promise<Map<string, TaskLookup>> {
    const lookups = new Map<string, TaskLookup>();
    for (let start = 0; start < taskArns.length; start += DESCRIBE_BATCH) {
      const { tasks = [], failures = [] } = await this.options.client.send(
        new DescribeTasksCommand({
          cluster: this.options.clusterArn,
          tasks: taskArns.slice(start, start + DESCRIBE_BATCH),
        }),
      );
      for (const task of tasks) {
        if (task.taskArn)
          lookups.set(task.taskArn, { found: true, task: observationOf(task, this.options.clusterArn) });
      }
      // ECS forgets stopped tasks after about an hour and answers MISSING; other failures are no answer at all.
      for (const failure of failures)
        if (failure.arn && failure.reason === "MISSING") lookups.set(failure.arn, { found: false });
    }
    return lookups;
  }

  async listRunning(options: { flow?: string; includeStopping?: boolean } = {}): Promise<RunningTask[]> {
    // A task asked to stop is listed under desired status STOPPED until it has (and for about an hour after).
    const desired = options.includeStopping ? (["RUNNING", "STOPPED"] as const) : (["RUNNING"] as const);
    const taskArns: string[] = [];
    for (const desiredStatus of desired) {
      let nextToken: string | undefined;
      do {
        const page = await this.options.client.send(
          new ListTasksCommand({
            cluster: this.options.clusterArn,
            desiredStatus,
            ...(options.flow !== undefined && { startedBy: startedBy(options.flow) }),
            maxResults: LIST_PAGE,
            ...(nextToken && { nextToken }),
          }),
        );
        taskArns.push(...(page?.taskArns ?? []));
        nextToken = page?.nextToken;
      } while (nextToken);
    }
    const running: RunningTask[] = [];
    for (let start = 0; start < taskArns.length; start += DESCRIBE_BATCH) {
      const { tasks = [] } = await this.options.client.send(
        new DescribeTasksCommand({
          cluster: this.options.clusterArn,
          tasks: taskArns.slice(start, start + DESCRIBE_BATCH),
        }),
      );
      for (const task of tasks) {
        if (!task.taskArn || !task.startedBy?.startsWith(STARTED_BY_PREFIX) || task.lastStatus === "STOPPED") continue;
        const run = runReferenceOf(task.overrides?.containerOverrides);
        const stopping = task.desiredStatus === "STOPPED";
        running.push({ taskArn: task.taskArn, ...(run && { run }), ...(stopping && { stopping }) });
      }
    }
    return running;
  }
}

/** ListTasks pages at most 100 task ARNs. */
const LIST_PAGE = 100;

/** A DescribeTasks task as the same observation an ECS Task State Change event gives. */
function observationOf(task: Task, clusterArn: string): TaskObservation {
  const run = runReferenceOf(task.overrides?.containerOverrides);
  return {
    taskArn: task.taskArn!,
    clusterArn: task.clusterArn ?? clusterArn,
    ...(run && { run }),
    version: task.version ?? UNVERSIONED,
    lastStatus: task.lastStatus ?? "UNKNOWN",
    containers: (task.containers ?? []).map((container) => ({
      name: container.name ?? "",
      ...(container.exitCode !== undefined && { exitCode: container.exitCode }),
      ...(container.reason && { reason: container.reason }),
    })),
    ...(task.stopCode && { stopCode: task.stopCode }),
    ...(task.stoppedReason && { stoppedReason: task.stoppedReason }),
    ...(task.startedAt && { startedAt: task.startedAt.toISOString() }),
    ...(task.stoppedAt && { stoppedAt: task.stoppedAt.toISOString() }),
  };
}
