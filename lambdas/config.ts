import { z } from "zod";
import { parseInput } from "./core/parse-input";

/** Thrown at cold start when the function's environment is incomplete: a deploy problem, named precisely. */
export class ConfigurationError extends Error {
  override name = "ConfigurationError";
}

const text = z.string().min(1);
const list = text.transform((value) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean),
);

const runStoreVariables = {
  RUNS_TABLE_NAME: text,
  RUN_RETENTION_DAYS: z.coerce.number().int().positive(),
};

/** Where failed attempts are retried from: the one-time schedules that start the next attempt. */
const retryVariables = {
  RETRY_SCHEDULE_GROUP: text,
  RETRY_ROLE_ARN: text,
  RETRY_DEAD_LETTER_ARN: text,
  LAUNCHER_ARN: text,
  RETRY_BASE_DELAY_SECONDS: z.coerce.number().int().positive(),
};

export const launcherConfigSchema = z.object({
  ...retryVariables,
  ...runStoreVariables,
  CLUSTER_ARN: text,
  SUBNET_IDS: list,
  SECURITY_GROUP_IDS: list,
  TASK_DEFINITION_PREFIX: text,
  EVENT_BUS_NAME: text,
});

export const recorderConfigSchema = z.object({
  ...retryVariables,
  ...runStoreVariables,
  CLUSTER_ARN: text,
  EVENT_BUS_NAME: text,
});

export const reaperConfigSchema = z.object({
  ...runStoreVariables,
  ...retryVariables,
  CLUSTER_ARN: text,
  EVENT_BUS_NAME: text,
  LAUNCHER_FUNCTION_NAME: text,
});

export const alerterConfigSchema = z.object({
  ...runStoreVariables,
  ENVIRONMENT: text,
  SLACK_WEBHOOK_PARAMETER: text,
  FLOW_LOG_GROUP_PREFIX: text,
  AWS_REGION: text,
});

/**
 * Reads a function's configuration from its environment, once. No fallbacks: a missing or malformed variable is a
 * deploy error and fails the cold start with every problem named.
 */
export function readConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.output<S> {
  return parseInput(schema, env, (problems) => new ConfigurationError(`invalid function environment: ${problems}`));
}
