import { FailureClass } from "../../lambdas/core/classify-failure";
import type { AttemptRecord } from "../../lambdas/core/retry-policy";
import { attemptRecord, retryDecision } from "../../lambdas/core/retry-policy";
import { RunState } from "../../contracts/run-states";

const options = { baseDelaySeconds: 60 };
const first = (flowRetries: number): AttemptRecord => ({
  attempt: 1,
  maxAttempts: flowRetries + 1,
  flowRetries,
  earlierFailures: [],
});

describe("the retry policy", () => {
  it.each([
    FailureClass.configuration,
    FailureClass.outOfMemory,
    FailureClass.stopped,
    FailureClass.timeout,
    FailureClass.lost,
  ])("never retries %s, whatever the budget", (failure) => {
    expect(retryDecision(failure, first(5), options)).toEqual({ retry: false });
  });

  it.each([FailureClass.flowError, FailureClass.unknown])("retries %s within the flow's own retries", (failure) => {
    expect(retryDecision(failure, first(2), options)).toEqual({ retry: true, maxAttempts: 3, delaySeconds: 60 });
    expect(retryDecision(failure, { ...first(2), attempt: 2, earlierFailures: [failure] }, options)).toEqual({
      retry: true,
      maxAttempts: 3,
      delaySeconds: 120,
    });
    expect(retryDecision(failure, { ...first(2), attempt: 3, earlierFailures: [failure, failure] }, options)).toEqual({
      retry: false,
    });
  });

  it("does not retry a flow error of a flow without retries", () => {
    expect(retryDecision(FailureClass.flowError, first(0), options)).toEqual({ retry: false });
  });

  it("does not let a capacity retry lend its attempt to the flow's own failure", () => {
    const afterCapacity = { attempt: 2, maxAttempts: 2, flowRetries: 0, earlierFailures: [FailureClass.capacity] };
    expect(retryDecision(FailureClass.flowError, afterCapacity, options)).toEqual({ retry: false });
  });

  it("does not let the flow's retries lend attempts to capacity failures beyond their own two", () => {
    const record = {
      attempt: 3,
      maxAttempts: 8,
      flowRetries: 5,
      earlierFailures: [FailureClass.capacity, FailureClass.capacity],
    };
    expect(retryDecision(FailureClass.capacity, record, options)).toEqual({ retry: false });
  });

  it.each([FailureClass.capacity, FailureClass.spotInterruption, FailureClass.hostLost])(
    "retries %s twice with exponential backoff, adding an attempt each time, even for a flow without retries",
    (failure) => {
      expect(retryDecision(failure, first(0), options)).toEqual({ retry: true, maxAttempts: 2, delaySeconds: 60 });
      const second = { attempt: 2, maxAttempts: 2, flowRetries: 0, earlierFailures: [failure] };
      expect(retryDecision(failure, second, options)).toEqual({ retry: true, maxAttempts: 3, delaySeconds: 120 });
      const third = { attempt: 3, maxAttempts: 3, flowRetries: 0, earlierFailures: [failure, failure] };
      expect(retryDecision(failure, third, options)).toEqual({ retry: false });
    },
  );

  it("keeps a flow's planned retries after an infrastructure retry", () => {
    const record = { attempt: 2, maxAttempts: 3, flowRetries: 1, earlierFailures: [FailureClass.capacity] };
    expect(retryDecision(FailureClass.flowError, record, options)).toEqual({
      retry: true,
      maxAttempts: 3,
      delaySeconds: 60,
    });
  });

  it("caps the backoff at fifteen minutes", () => {
    expect(retryDecision(FailureClass.flowError, first(5), { baseDelaySeconds: 1800 })).toMatchObject({
      delaySeconds: 900,
    });
  });

  it("retries an image that cannot be pulled once", () => {
    expect(retryDecision(FailureClass.imagePull, first(0), options)).toEqual({
      retry: true,
      maxAttempts: 2,
      delaySeconds: 60,
    });
    const again = { attempt: 2, maxAttempts: 2, flowRetries: 0, earlierFailures: [FailureClass.imagePull] };
    expect(retryDecision(FailureClass.imagePull, again, options)).toEqual({ retry: false });
  });

  it("reads how earlier attempts failed from the run's RETRYING history", () => {
    const record = attemptRecord({
      attempt: 3,
      maxAttempts: 4,
      flowRetries: 1,
      history: [
        { at: "t0", state: RunState.PENDING, attempt: 1, source: "launcher" },
        {
          at: "t1",
          state: RunState.RETRYING,
          attempt: 1,
          source: "launcher",
          reason: "Capacity is unavailable at this time.",
        },
        { at: "t2", state: RunState.RETRYING, attempt: 2, source: "recorder", exitCode: 1 },
      ],
    });
    expect(record.earlierFailures).toEqual([FailureClass.capacity, FailureClass.flowError]);
  });
});
