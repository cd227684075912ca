import type { SchedulerClient } from "@aws-sdk/client-scheduler";
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-scheduler";
import type { RetryCommand } from "../../contracts/launch-commands";
import type { RetryScheduler } from "../core/ports";

export interface SchedulerRetriesOptions {
  client: SchedulerClient;
  groupName: string;
  launcherArn: string;
  roleArn: string;
  deadLetterArn: string;
}

/**
 * The schedule of one attempt: Scheduler names are at most 64 characters of `[0-9A-Za-z_.-]`, and one name per
 * (run, attempt) makes a repeated request a no-op.
 */
export function retryScheduleName(command: Pick<RetryCommand, "runId" | "attempt">): string {
  return `${command.runId.replace(/[^0-9A-Za-z_.-]/g, "_")}-a${command.attempt}`.slice(0, 64);
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
          Name: retryScheduleName(command),
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

  async cancel(command: RetryCommand): Promise<void> {
    try {
      await this.options.client.send(
        new DeleteScheduleCommand({ Name: retryScheduleName(command), GroupName: this.options.groupName }),
      );
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error; // it fired (and deleted itself) or never was
    }
  }
}
