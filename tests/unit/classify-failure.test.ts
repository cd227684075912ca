import { classifyFailure, FailureClass } from "../../lambdas/core/classify-failure";

describe("failure classification", () => {
  it.each([
    [
      "no Fargate capacity",
      { reason: "Capacity is unavailable at this time. Please try again later or in a different availability zone" },
      FailureClass.capacity,
    ],
    ["no ENI available", { reason: "RESOURCE:ENI" }, FailureClass.capacity],
    ["RunTask throttled", { reason: "ThrottlingException: Rate exceeded" }, FailureClass.capacity],
    [
      "an image that cannot be pulled",
      {
        stopCode: "TaskFailedToStart",
        reason: "CannotPullContainerError: pull image manifest has been retried 5 time(s)",
      },
      FailureClass.imagePull,
    ],
    [
      "a missing SSM parameter",
      {
        stopCode: "TaskFailedToStart",
        reason:
          "ResourceInitializationError: unable to pull secrets or registry auth: invalid ssm parameters: /DataFlows/Dev/X",
      },
      FailureClass.configuration,
    ],
    [
      "the runtime's configuration exit code",
      { stopCode: "EssentialContainerExited", exitCode: 78 },
      FailureClass.configuration,
    ],
    ["exit 137", { stopCode: "EssentialContainerExited", exitCode: 137 }, FailureClass.outOfMemory],
    [
      "OutOfMemoryError",
      { reason: "OutOfMemoryError: Container killed due to memory usage" },
      FailureClass.outOfMemory,
    ],
    ["a Spot interruption", { stopCode: "SpotInterruption", exitCode: 143 }, FailureClass.spotInterruption],
    ["a user stop", { stopCode: "UserInitiated", exitCode: 143 }, FailureClass.stopped],
    ["a flow exiting 1", { stopCode: "EssentialContainerExited", exitCode: 1 }, FailureClass.flowError],
    ["an unhealthy host", { stopCode: "InfrastructureHealth" }, FailureClass.hostLost],
    ["a task with no facts at all", {}, FailureClass.unknown],
    ["a TerminationNotice", { stopCode: "TerminationNotice" }, FailureClass.hostLost],
    ["an unknown stop code without exit code", { stopCode: "SomethingNew" }, FailureClass.unknown],
    ["ServiceSchedulerInitiated", { stopCode: "ServiceSchedulerInitiated" }, FailureClass.unknown],
  ])("classifies %s", (_, facts, expected) => {
    expect(classifyFailure(facts)).toBe(expected);
  });
});

describe("classifying platform provisioning timeouts", () => {
  it.each([
    "Timeout waiting for network interface provisioning to complete.",
    "Task failed to start: Timeout waiting for EphemeralStorage provisioning to complete.",
  ])("treats %j as transient capacity trouble, worth another attempt", (reason) => {
    expect(classifyFailure({ reason, stopCode: "TaskFailedToStart" })).toBe(FailureClass.capacity);
  });

  it("treats a RunTask request ECS refused as configuration", () => {
    expect(classifyFailure({ reason: "RunTask refused (ClientException): TaskDefinition is inactive" })).toBe(
      FailureClass.configuration,
    );
  });
});
