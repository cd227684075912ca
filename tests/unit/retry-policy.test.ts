import { FailureClass } from "../../lambdas/core/classify-failure";
import { retryDecision } from "../../lambdas/core/retry-policy";

const options = { baseDelaySeconds: 60 };

describe("the retry policy", () => {
  it.each([
    FailureClass.configuration,
    FailureClass.outOfMemory,
    FailureClass.stopped,
    FailureClass.timeout,
    FailureClass.lost,
  ])("never retries %s, whatever the budget", (failure) => {
    expect(retryDecision(failure, 1, 5, options)).toEqual({ retry: false });
  });

  it.each([FailureClass.flowError, FailureClass.unknown])("retries %s within the flow's own attempts", (failure) => {
    expect(retryDecision(failure, 1, 3, options)).toEqual({ retry: true, maxAttempts: 3, delaySeconds: 60 });
    expect(retryDecision(failure, 2, 3, options)).toEqual({ retry: true, maxAttempts: 3, delaySeconds: 120 });
    expect(retryDecision(failure, 3, 3, options)).toEqual({ retry: false });
  });

  it("does not retry a flow error of a flow without retries", () => {
    expect(retryDecision(FailureClass.flowError, 1, 1, options)).toEqual({ retry: false });
  });

  it.each([FailureClass.capacity, FailureClass.spotInterruption])(
    "retries %s with exponential backoff up to three attempts, even for a flow without retries",
    (failure) => {
      expect(retryDecision(failure, 1, 1, options)).toEqual({ retry: true, maxAttempts: 3, delaySeconds: 60 });
      expect(retryDecision(failure, 2, 1, options)).toEqual({ retry: true, maxAttempts: 3, delaySeconds: 120 });
      expect(retryDecision(failure, 3, 1, options)).toEqual({ retry: false });
    },
  );

  it("gives capacity failures the flow's larger budget when it has one", () => {
    expect(retryDecision(FailureClass.capacity, 4, 5, options)).toEqual({
      retry: true,
      maxAttempts: 5,
      delaySeconds: 480,
    });
  });

  it("caps the backoff at fifteen minutes", () => {
    expect(retryDecision(FailureClass.capacity, 9, 10, options)).toMatchObject({ delaySeconds: 900 });
  });

  it("retries an image that cannot be pulled once", () => {
    expect(retryDecision(FailureClass.imagePull, 1, 1, options)).toEqual({
      retry: true,
      maxAttempts: 2,
      delaySeconds: 60,
    });
    expect(retryDecision(FailureClass.imagePull, 2, 2, options)).toEqual({ retry: false });
  });
});
