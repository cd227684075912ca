import type { TaskRequest } from "./ports";
import { ATTEMPT_ENV, RUN_ID_ENV } from "./task-state-change";

/** The run's params reach the container as JSON in this variable. */
export const PARAMS_ENV = "DATA_FLOWS_PARAMS";

/**
 * The environment overrides every flow task carries. They appear in every ECS event (which is how the recorder
 * matches a task to its run before the launcher saved the task ARN), so they must never hold a secret.
 */
export function taskOverrideEnvironment(request: Pick<TaskRequest, "runId" | "attempt" | "params">) {
  return [
    { name: RUN_ID_ENV, value: request.runId },
    { name: ATTEMPT_ENV, value: String(request.attempt) },
    { name: PARAMS_ENV, value: JSON.stringify(request.params) },
  ];
}
