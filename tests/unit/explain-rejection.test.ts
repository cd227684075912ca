import { explainRejection } from "../../lambdas/core/explain-rejection";
import type { TransitionRequest } from "../../lambdas/core/ports";
import type { Run } from "../../lambdas/core/run";
import { RunState } from "../../contracts/run-states";

const TASK = "arn:aws:ecs:eu-west-1:111122223333:task/c/1";
const run = (overrides: Partial<Run> = {}): Run => ({
  runId: "f/20260302T1000Z",
  flow: "f",
  trigger: "schedule",
  params: {},
  dataInterval: { start: "2026-03-02T09:00:00.000Z", end: "2026-03-02T10:00:00.000Z" },
  state: RunState.RUNNING,
  attempt: 1,
  maxAttempts: 1,
  flowRetries: 0,
  taskArn: TASK,
  taskVersion: 3,
  createdAt: "2026-03-02T10:00:00Z",
  updatedAt: "2026-03-02T10:01:00Z",
  deadline: "2026-03-02T11:00:00Z",
  history: [],
  ...overrides,
});
const request = (overrides: Partial<TransitionRequest> = {}): TransitionRequest => ({
  runId: "f/20260302T1000Z",
  attempt: 1,
  to: RunState.RUNNING,
  at: "2026-03-02T10:02:00Z",
  source: "recorder",
  task: { taskArn: TASK, version: 3 },
  ...overrides,
});

describe("why a transition was refused", () => {
  it("names an unknown run", () => {
    expect(explainRejection(undefined, request())).toBe("unknown-run");
  });

  it("names a redelivery of the event that made the latest change a duplicate, even when it ended the run", () => {
    expect(explainRejection(run(), request())).toBe("duplicate");
    expect(
      explainRejection(
        run({ state: RunState.FAILED, taskVersion: 6 }),
        request({ to: RunState.FAILED, task: { taskArn: TASK, version: 6 } }),
      ),
    ).toBe("duplicate");
  });

  it("names any other change to an ended run terminal", () => {
    expect(
      explainRejection(
        run({ state: RunState.SUCCEEDED, taskVersion: 6 }),
        request({ task: { taskArn: TASK, version: 3 } }),
      ),
    ).toBe("terminal");
  });

  it("names another attempt, another task and an older version", () => {
    expect(explainRejection(run(), request({ attempt: 2 }))).toBe("other-attempt");
    expect(explainRejection(run(), request({ task: { taskArn: `${TASK}0`, version: 9 } }))).toBe("other-task");
    expect(explainRejection(run(), request({ task: { taskArn: TASK, version: 2 } }))).toBe("stale");
  });

  it("names a move the state machine does not allow", () => {
    expect(explainRejection(run(), request({ to: RunState.STARTING, task: { taskArn: TASK, version: 5 } }))).toBe(
      "not-allowed",
    );
  });
});
