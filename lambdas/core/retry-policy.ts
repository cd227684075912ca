import { classifyFailure, FailureClass } from "./classify-failure";
import type { Run } from "./run";
import { RunState } from "../../contracts/run-states";

/** Whether and when a failed attempt gets another. */
export type RetryDecision = { retry: false } | { retry: true; delaySeconds: number; maxAttempts: number };

export interface RetryOptions {
  /** The first backoff step: a minute in AWS, a few seconds locally. */
  baseDelaySeconds: number;
}

/** Retries a run gets for infrastructure trouble (capacity, Spot), whatever the flow's own `retries`. */
export const INFRASTRUCTURE_RETRIES = 2;
/** Retries a run gets for an image that could not be pulled. */
const IMAGE_PULL_RETRIES = 1;
const MAX_DELAY_SECONDS = 15 * 60;

/** The budget a failure class draws on; classes with no budget are never retried. */
const BUDGET_OF: Partial<Record<FailureClass, "flow" | "infrastructure" | "image">> = {
  [FailureClass.flowError]: "flow",
  [FailureClass.unknown]: "flow",
  [FailureClass.capacity]: "infrastructure",
  [FailureClass.spotInterruption]: "infrastructure",
  [FailureClass.hostLost]: "infrastructure",
  [FailureClass.imagePull]: "image",
};

/** What the run has been through so far: its attempt, its plan, and how its earlier attempts failed. */
export interface AttemptRecord {
  attempt: number;
  maxAttempts: number;
  /** The flow's own `retries`: the budget for its own failures. */
  flowRetries: number;
  earlierFailures: readonly FailureClass[];
}

/**
 * The retry table, with one budget per kind of failure so one cannot spend another's: the flow's own failures use
 * the flow's `retries`; infrastructure failures (capacity, Spot) get up to two retries with exponential backoff even
 * for a flow with none; an image that cannot be pulled gets one; configuration errors, out-of-memory kills, stops,
 * timeouts and lost tasks never retry, since another attempt would end the same way. A granted infrastructure or
 * image retry adds an attempt to the plan; a flow retry was planned from the start.
 */
export function retryDecision(failure: FailureClass, record: AttemptRecord, options: RetryOptions): RetryDecision {
  const budget = BUDGET_OF[failure];
  if (!budget) return { retry: false };
  const spent = record.earlierFailures.filter((earlier) => BUDGET_OF[earlier] === budget).length;
  const base = options.baseDelaySeconds;
  const delay = (seconds: number) => Math.min(seconds, MAX_DELAY_SECONDS);
  switch (budget) {
    case "flow":
      if (spent >= record.flowRetries) return { retry: false };
      return {
        retry: true,
        maxAttempts: Math.max(record.maxAttempts, record.attempt + 1),
        delaySeconds: delay(base * (spent + 1)),
      };
    case "infrastructure":
      if (spent >= INFRASTRUCTURE_RETRIES) return { retry: false };
      return { retry: true, maxAttempts: record.maxAttempts + 1, delaySeconds: delay(base * 2 ** spent) };
    case "image":
      if (spent >= IMAGE_PULL_RETRIES) return { retry: false };
      return { retry: true, maxAttempts: record.maxAttempts + 1, delaySeconds: delay(base) };
  }
}

/** How each earlier attempt of a run failed, read from the RETRYING entries of its history. */
export function earlierFailures(run: Pick<Run, "history">): FailureClass[] {
  return run.history.filter((entry) => entry.state === RunState.RETRYING).map((entry) => classifyFailure(entry));
}

/** The attempt record of a run's current attempt, ready for {@link retryDecision}. */
export function attemptRecord(run: Pick<Run, "attempt" | "maxAttempts" | "flowRetries" | "history">): AttemptRecord {
  return {
    attempt: run.attempt,
    maxAttempts: run.maxAttempts,
    flowRetries: run.flowRetries,
    earlierFailures: earlierFailures(run),
  };
}
