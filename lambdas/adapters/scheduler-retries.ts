import type { SchedulerClient } from "@aws-sdk/client-scheduler";
import { ConflictException, CreateScheduleCommand } from "@aws-sdk/client-scheduler";
import type { RetryCommand } from "../core/launch-command";
import type { RetryScheduler } from "../core/ports";

export interface SchedulerRetriesOptions {
  client: SchedulerClient;
  groupName: string;
  launcherArn: string;
  roleArn: string;
  deadLetterArn: string;
}

/**
 * Next attempts as one-time EventBridge Scheduler schedules (`at(...)`) that invoke the launcher and delete
 * themselves: the backoff passes with nothing running. One schedule per (run, attempt), so a repeat is a no-op.
 */
export class SchedulerRetries implements RetryScheduler {
  constructor(private readonly options: SchedulerRetriesOptions) {}

  async schedule(command: RetryCommand, at: Date): Promise<void> {
    try {
      await this.options.client.send(
        new CreateScheduleCommand({
          Name: `${command.runId.replace(/[^0-9A-Za-z_.-]/g, "_")}-a${command.attempt}`.slice(0, 64),
          GroupName: this.options.groupName,
          ScheduleExpression: `at(${at.toISOString().slice(0, 19)})`,
          ScheduleExpressionTimezone: "UTC",
          FlexibleTimeWindow: { Mode: "OFF" },
          ActionAfterCompletion: "DELETE",
          Target: {
            Arn: this.options.launcherArn,
            RoleArn: this.options.roleArn,
            Input: JSON.stringify(command),
            RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
            DeadLetterConfig: { Arn: this.options.deadLetterArn },
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConflictException)) throw error; // already scheduled by an earlier delivery
    }
  }
}
