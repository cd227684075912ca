import { SchedulerClient } from "@aws-sdk/client-scheduler";
import type { z } from "zod";
import type { launcherConfigSchema } from "../config";
import { SchedulerRetries } from "./scheduler-retries";

type RetryConfig = Pick<
  z.output<typeof launcherConfigSchema>,
  "RETRY_SCHEDULE_GROUP" | "RETRY_ROLE_ARN" | "RETRY_DEAD_LETTER_ARN" | "LAUNCHER_ARN" | "RETRY_BASE_DELAY_SECONDS"
>;

/** The retry scheduler and policy options of the launcher and the recorder, from their environment. */
export function awsRetries(config: RetryConfig) {
  return {
    retries: new SchedulerRetries({
      client: new SchedulerClient({}),
      groupName: config.RETRY_SCHEDULE_GROUP,
      launcherArn: config.LAUNCHER_ARN,
      roleArn: config.RETRY_ROLE_ARN,
      deadLetterArn: config.RETRY_DEAD_LETTER_ARN,
    }),
    retryOptions: { baseDelaySeconds: config.RETRY_BASE_DELAY_SECONDS },
  };
}
