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
    ["an unknown stop code without exit code", { stopCode: "InfrastructureHealth" }, FailureClass.unknown],
    ["a task with no facts at all", {}, FailureClass.unknown],
    ["a TerminationNotice", { stopCode: "TerminationNotice" }, FailureClass.unknown],
    ["ServiceSchedulerInitiated", { stopCode: "ServiceSchedulerInitiated" }, FailureClass.unknown],
  ])("classifies %s", (_, facts, expected) => {
    expect(classifyFailure(facts)).toBe(expected);
  });
});
