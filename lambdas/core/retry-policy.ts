import { FailureClass } from "./classify-failure";

/** Whether and when a failed attempt gets another. */
export type RetryDecision = { retry: false } | { retry: true; delaySeconds: number; maxAttempts: number };

export interface RetryOptions {
  /** The first backoff step: a minute in AWS, a few seconds locally. */
  baseDelaySeconds: number;
}

/** Attempts a run gets for infrastructure trouble (capacity, Spot), whatever the flow's own `retries`. */
export const INFRASTRUCTURE_ATTEMPTS = 3;
const MAX_DELAY_SECONDS = 15 * 60;

/**
 * The retry table. Infrastructure failures retry with exponential backoff (up to three attempts even for a flow with
 * no retries); an image that cannot be pulled gets one more try; a flow's own failure uses the flow's `retries`;
 * configuration errors, out-of-memory kills and stops never retry, since another attempt would end the same way.
 */
export function retryDecision(
  failure: FailureClass,
  attempt: number,
  maxAttempts: number,
  options: RetryOptions,
): RetryDecision {
  const base = options.baseDelaySeconds;
  switch (failure) {
    case FailureClass.capacity:
    case FailureClass.spotInterruption: {
      const limit = Math.max(maxAttempts, INFRASTRUCTURE_ATTEMPTS);
      if (attempt >= limit) return { retry: false };
      return { retry: true, maxAttempts: limit, delaySeconds: Math.min(base * 2 ** (attempt - 1), MAX_DELAY_SECONDS) };
    }
    case FailureClass.imagePull:
      return attempt === 1
        ? { retry: true, maxAttempts: Math.max(maxAttempts, 2), delaySeconds: base }
        : { retry: false };
    case FailureClass.flowError:
    case FailureClass.unknown:
      if (attempt >= maxAttempts) return { retry: false };
      return { retry: true, maxAttempts, delaySeconds: Math.min(base * attempt, MAX_DELAY_SECONDS) };
    default:
      return { retry: false };
  }
}
