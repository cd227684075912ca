import type { ECSClient } from "@aws-sdk/client-ecs";
import { DescribeTasksCommand, StopTaskCommand } from "@aws-sdk/client-ecs";
import type { TaskControl, TaskStatus } from "../core/ports";

const DESCRIBE_BATCH = 100; // DescribeTasks takes at most 100 tasks per call.

/** {@link TaskControl} on one ECS cluster. */
export class EcsTaskControl implements TaskControl {
  constructor(private readonly options: { client: ECSClient; clusterArn: string }) {}

  async stopTask(taskArn: string, reason: string): Promise<void> {
    // StopTask's reason shows as the task's stoppedReason, limited to 255 characters.
    await this.options.client.send(
      new StopTaskCommand({ cluster: this.options.clusterArn, task: taskArn, reason: reason.slice(0, 255) }),
    );
  }

  async describeTasks(taskArns: readonly string[]): Promise<Map<string, TaskStatus>> {
    const statuses = new Map<string, TaskStatus>();
    for (let start = 0; start < taskArns.length; start += DESCRIBE_BATCH) {
      const { tasks = [], failures = [] } = await this.options.client.send(
        new DescribeTasksCommand({
          cluster: this.options.clusterArn,
          tasks: taskArns.slice(start, start + DESCRIBE_BATCH),
        }),
      );
      for (const task of tasks) {
        if (!task.taskArn) continue;
        statuses.set(task.taskArn, {
          known: true,
          lastStatus: task.lastStatus ?? "UNKNOWN",
          ...(task.version !== undefined && { version: task.version }),
          ...(task.stopCode && { stopCode: task.stopCode }),
          ...(task.stoppedReason && { stoppedReason: task.stoppedReason }),
          containers: (task.containers ?? []).map((container) => ({
            name: container.name ?? "",
            ...(container.exitCode !== undefined && { exitCode: container.exitCode }),
            ...(container.reason && { reason: container.reason }),
          })),
        });
      }
      // ECS forgets stopped tasks after about an hour and answers MISSING.
      for (const failure of failures)
        if (failure.arn && failure.reason === "MISSING") statuses.set(failure.arn, { known: false });
    }
    return statuses;
  }
}
