import type { NewRun } from "../../lambdas/core/run";
import { RunState } from "../../contracts/run-states";

/** A freshly recorded scheduled run of the fixtures' flow, as the launcher would create it. */
export function newRun(overrides: Partial<NewRun> = {}): NewRun {
  return {
    runId: "orders-daily/20260302T1000Z",
    flow: "orders-daily",
    trigger: "schedule",
    scheduledFor: "2026-03-02T10:00:00.000Z",
    dataInterval: { start: "2026-03-02T09:00:00.000Z", end: "2026-03-02T10:00:00.000Z" },
    params: {},
    state: RunState.PENDING,
    attempt: 1,
    maxAttempts: 1,
    flowRetries: 0,
    createdAt: "2026-03-02T10:12:00.500Z",
    deadline: "2026-03-02T11:12:00.500Z",
    ...overrides,
  };
}

export const FIXTURE_TASK_ARN =
  "arn:aws:ecs:eu-west-1:111122223333:task/data-flows-dev/5b1e0c7d9a8f4e2b8c6d4f1a2b3c4d5e";
