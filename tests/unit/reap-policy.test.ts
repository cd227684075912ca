import { RunState } from "../../contracts/run-states";
import type { ReapLimits } from "../../lambdas/core/reap-policy";
import { dueAction, mayBeDue } from "../../lambdas/core/reap-policy";
import type { Run } from "../../lambdas/core/run";
import { FIXTURE_TASK_ARN, newRun } from "../support/runs";

const LIMITS: ReapLimits = {
  pageSize: 100,
  pendingGraceSeconds: 120,
  launchDeadlineSeconds: 900,
  silenceMinutes: 15,
  safetyMarginMs: 10_000,
};
const CREATED = "2026-03-02T10:12:00.000Z";
const at = (seconds: number) => new Date(Date.parse(CREATED) + seconds * 1000);
const run = (overrides: Partial<Run>): Run => ({
  ...newRun({ createdAt: CREATED }),
  updatedAt: CREATED,
  history: [],
  ...overrides,
});

describe("what the reaper owes a run", () => {
  describe("a launch that has no task yet (PENDING)", () => {
    it("is left alone within the grace a launcher takes to call RunTask", () => {
      expect(dueAction(run({}), at(119), LIMITS)).toEqual({ kind: "none" });
    });

    it("is re-driven once its grace has passed", () => {
      expect(dueAction(run({}), at(120), LIMITS)).toEqual({ kind: "redrive" });
    });

    it("is still re-driven at its launch deadline when the reaper never tried to save it", () => {
      expect(dueAction(run({}), at(900), LIMITS)).toEqual({ kind: "redrive" });
    });

    it("ends FAILED at its launch deadline once re-driven, naming RunTask's last error", () => {
      const due = dueAction(
        run({ redrives: 1, lastLaunchError: "ThrottlingException: Rate exceeded" }),
        at(900),
        LIMITS,
      );
      expect(due).toEqual({
        kind: "expire",
        reason: "launch failed: no task after 15 minutes; last RunTask error: ThrottlingException: Rate exceeded",
      });
    });
  });

  describe("a failed attempt waiting for its retry (RETRYING)", () => {
    const retrying = (redrives?: number) =>
      run({ state: RunState.RETRYING, retryAt: CREATED, reason: "exit 1", ...(redrives && { redrives }) });

    it("is left alone until its retry is overdue by the grace", () => {
      expect(dueAction(retrying(), at(119), LIMITS)).toEqual({ kind: "none" });
    });

    it("has its retry sent again once overdue", () => {
      expect(dueAction(retrying(), at(120), LIMITS)).toEqual({ kind: "resend-retry" });
    });

    it("ends FAILED when the retry never started by the launch deadline, though sent again", () => {
      expect(dueAction(retrying(1), at(900), LIMITS)).toEqual({
        kind: "expire",
        reason: `attempt 2 never started: its retry was due at ${CREATED} (exit 1)`,
      });
    });
  });

  describe("a run with a task", () => {
    const started = (overrides: Partial<Run> = {}) =>
      run({ state: RunState.RUNNING, taskArn: FIXTURE_TASK_ARN, deadline: at(3600).toISOString(), ...overrides });

    it("is asked of ECS as overdue once past its deadline", () => {
      expect(dueAction(started(), at(3600), LIMITS)).toEqual({ kind: "check", overdue: true });
    });

    it("is asked of ECS when no event came for the silence limit", () => {
      expect(dueAction(started(), at(15 * 60), LIMITS)).toEqual({ kind: "check", overdue: false });
    });

    it("is left alone while it is in time and heard from", () => {
      expect(dueAction(started({ updatedAt: at(600).toISOString() }), at(900), LIMITS)).toEqual({ kind: "none" });
    });
  });

  it("owes an ended run nothing but its settlement", () => {
    expect(dueAction(run({ state: RunState.SUCCEEDED }), at(10_000), LIMITS)).toEqual({ kind: "none" });
  });

  describe("whether a listed run is worth a consistent read", () => {
    it("is, for an ending whose settlement is owed", () => {
      expect(mayBeDue(run({ state: RunState.FAILED, settlement: {} }), at(0), LIMITS)).toBe(true);
    });

    it("is, for a RETRYING run listed without its retry time", () => {
      expect(mayBeDue(run({ state: RunState.RETRYING }), at(0), LIMITS)).toBe(true);
    });

    it("is not, for a live run with nothing due", () => {
      expect(mayBeDue(run({}), at(10), LIMITS)).toBe(false);
    });
  });
});
