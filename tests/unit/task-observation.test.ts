import { RunState } from "../../contracts/run-states";
import { outcomeOf } from "../../lambdas/core/task-observation";
import { MalformedEventError, parseTaskStateChange } from "../../lambdas/handlers/ecs-task-event";
import { ECS_FIXTURES, ecsEvent, FIXTURE_CLUSTER_ARN } from "../support/fixtures";

describe("parsing ECS Task State Change events", () => {
  it.each(ECS_FIXTURES)("reads the %s fixture", (name) => {
    expect(() => parseTaskStateChange(ecsEvent(name))).not.toThrow();
  });

  it("reads a stopped task into the observation the recorder acts on", () => {
    expect(parseTaskStateChange(ecsEvent("task-stopped-exit-1"))).toEqual({
      taskArn: "arn:aws:ecs:eu-west-1:111122223333:task/data-flows-dev/5b1e0c7d9a8f4e2b8c6d4f1a2b3c4d5e",
      clusterArn: FIXTURE_CLUSTER_ARN,
      run: { runId: "orders-daily/20260302T1000Z", attempt: 1 },
      version: 6,
      lastStatus: "STOPPED",
      containers: [{ name: "flow", exitCode: 1 }],
      stopCode: "EssentialContainerExited",
      stoppedReason: "Essential container in task exited",
      startedAt: "2026-03-02T10:12:24.018Z",
      stoppedAt: "2026-03-02T10:15:42.260Z",
    });
  });

  it("accepts fields it does not know about (lenient to new ECS fields)", () => {
    const event = ecsEvent("task-running");
    event.detail.capacityProviderName = "FARGATE_SPOT";
    expect(parseTaskStateChange(event).lastStatus).toBe("RUNNING");
  });

  it("accepts a task with no containers", () => {
    const event = ecsEvent("task-stopped-exit-1");
    event.detail.containers = [];
    expect(parseTaskStateChange(event).containers).toEqual([]);
  });

  it("accepts a task whose containers field is absent", () => {
    const event = ecsEvent("task-stopped-exit-1");
    delete event.detail.containers;
    expect(parseTaskStateChange(event).containers).toEqual([]);
  });

  it.each([
    ["a null event", null],
    ["another detail-type", { ...ecsEvent("task-running"), "detail-type": "ECS Container Instance State Change" }],
    [
      "a missing version",
      (() => {
        const e = ecsEvent("task-running");
        delete e.detail.version;
        return e;
      })(),
    ],
    [
      "a string version",
      (() => {
        const e = ecsEvent("task-running");
        e.detail.version = "3";
        return e;
      })(),
    ],
    [
      "a missing taskArn",
      (() => {
        const e = ecsEvent("task-running");
        delete e.detail.taskArn;
        return e;
      })(),
    ],
  ])("rejects %s with a MalformedEventError", (_, event) => {
    expect(() => parseTaskStateChange(event)).toThrow(MalformedEventError);
  });

  it("names the offending field in the error", () => {
    const event = ecsEvent("task-running");
    delete event.detail.version;
    expect(() => parseTaskStateChange(event)).toThrow(/detail\.version/);
  });
});

describe("finding the run a task belongs to", () => {
  it("reads run id and attempt from the container environment overrides", () => {
    expect(parseTaskStateChange(ecsEvent("task-running")).run).toEqual({
      runId: "orders-daily/20260302T1000Z",
      attempt: 1,
    });
  });

  it("finds nothing on a task started by someone else", () => {
    const event = ecsEvent("task-running");
    delete event.detail.overrides;
    expect(parseTaskStateChange(event).run).toBeUndefined();
  });

  it.each(["zero", "0", "-1", "1.0", " 0x1 ", "1e0", ""])(
    "finds nothing when the attempt is %j rather than the launcher's positive integer",
    (attempt) => {
      const event = ecsEvent("task-running");
      event.detail.overrides.containerOverrides[0].environment[1].value = attempt;
      expect(parseTaskStateChange(event).run).toBeUndefined();
    },
  );
});

describe("what a task's state means for its run", () => {
  const outcome = (event: Record<string, any>) => outcomeOf(parseTaskStateChange(event));

  it("maps PROVISIONING to STARTING", () => {
    expect(outcome(ecsEvent("task-provisioning"))).toEqual({ state: RunState.STARTING });
  });

  it.each(["PENDING", "ACTIVATING"])("maps %s to STARTING", (lastStatus) => {
    const event = ecsEvent("task-provisioning");
    event.detail.lastStatus = lastStatus;
    expect(outcome(event)?.state).toBe(RunState.STARTING);
  });

  it("maps RUNNING to RUNNING", () => {
    expect(outcome(ecsEvent("task-running"))).toEqual({ state: RunState.RUNNING });
  });

  it.each(["DEACTIVATING", "STOPPING", "DEPROVISIONING", "SOMETHING_NEW"])(
    "leaves the run alone on %s",
    (lastStatus) => {
      const event = ecsEvent("task-running");
      event.detail.lastStatus = lastStatus;
      expect(outcome(event)).toBeUndefined();
    },
  );

  it("is SUCCEEDED when every container exited 0", () => {
    expect(outcome(ecsEvent("task-stopped-exit-0"))).toMatchObject({
      state: RunState.SUCCEEDED,
      exitCode: 0,
      stopCode: "EssentialContainerExited",
    });
  });

  it("is FAILED with the exit code when the flow exited non-zero", () => {
    expect(outcome(ecsEvent("task-stopped-exit-1"))).toMatchObject({
      state: RunState.FAILED,
      exitCode: 1,
      stopCode: "EssentialContainerExited",
      reason: "Essential container in task exited",
    });
  });

  it("is FAILED, with ECS's reason and no exit code, when the secrets could not be pulled", () => {
    const result = outcome(ecsEvent("task-stopped-secrets-pull-failed"));
    expect(result).toMatchObject({ state: RunState.FAILED, stopCode: "TaskFailedToStart" });
    expect(result?.exitCode).toBeUndefined();
    expect(result?.reason).toContain("/DataFlows/Dev/SNOWFLAKE_PRIVATE_KEY");
  });

  it("never calls a STOPPED task without containers a success", () => {
    const event = ecsEvent("task-stopped-exit-0");
    event.detail.containers = [];
    expect(outcome(event)?.state).toBe(RunState.FAILED);
  });

  it("never calls a container without an exit code a success", () => {
    const event = ecsEvent("task-stopped-exit-0");
    delete event.detail.containers[0].exitCode;
    expect(outcome(event)?.state).toBe(RunState.FAILED);
  });

  it("fails the run when any container exited non-zero, even if the flow container exited 0", () => {
    const event = ecsEvent("task-stopped-exit-0");
    event.detail.containers.push({ name: "log-router", exitCode: 2, lastStatus: "STOPPED" });
    expect(outcome(event)).toMatchObject({ state: RunState.FAILED, exitCode: 0 });
  });

  it("is CANCELLED when someone stopped the task", () => {
    const event = ecsEvent("task-stopped-exit-1");
    event.detail.stopCode = "UserInitiated";
    event.detail.containers[0].exitCode = 143;
    expect(outcome(event)).toMatchObject({ state: RunState.CANCELLED, exitCode: 143 });
  });

  it("passes an unknown stopCode through and fails the run", () => {
    const event = ecsEvent("task-stopped-exit-1");
    event.detail.stopCode = "InfrastructureHealth";
    expect(outcome(event)).toMatchObject({ state: RunState.FAILED, stopCode: "InfrastructureHealth" });
  });

  it("prefers the container's own reason, kept beside the task's", () => {
    const event = ecsEvent("task-stopped-exit-1");
    event.detail.containers[0].exitCode = 137;
    event.detail.containers[0].reason = "OutOfMemoryError: Container killed due to memory usage";
    expect(outcome(event)?.reason).toBe(
      "Essential container in task exited: OutOfMemoryError: Container killed due to memory usage",
    );
  });
});
