import { ExitCode } from "../../contracts/exit-codes";

/**
 * What kind of failure ended an attempt, read from what ECS reported: RunTask `failures[]`, the task's `stopCode`
 * and `stoppedReason`, and the flow container's exit code. The class tells on-call where to look (and is what a
 * retry policy keys on).
 */
export const FailureClass = {
  capacity: "capacity",
  imagePull: "image-pull",
  configuration: "configuration",
  outOfMemory: "out-of-memory",
  spotInterruption: "spot-interruption",
  flowError: "flow-error",
  stopped: "stopped",
  timeout: "timeout",
  lost: "lost",
  unknown: "unknown",
} as const;
export type FailureClass = (typeof FailureClass)[keyof typeof FailureClass];

export interface FailureFacts {
  exitCode?: number;
  stopCode?: string;
  reason?: string;
}

const CAPACITY = [/capacity is unavailable/i, /RESOURCE:(ENI|MEMORY|CPU)/i, /throttl/i, /rate exceeded/i, /AGENT/];

export function classifyFailure(facts: FailureFacts): FailureClass {
  const reason = facts.reason ?? "";
  if (CAPACITY.some((pattern) => pattern.test(reason))) return FailureClass.capacity;
  if (/CannotPullContainerError|pull image manifest|failed to resolve ref/i.test(reason)) return FailureClass.imagePull;
  if (/ResourceInitializationError|unable to pull secrets|invalid ssm parameters/i.test(reason)) {
    return FailureClass.configuration;
  }
  if (facts.exitCode === ExitCode.killed || /OutOfMemoryError/i.test(reason)) return FailureClass.outOfMemory;
  if (facts.stopCode === "SpotInterruption") return FailureClass.spotInterruption;
  if (facts.exitCode === ExitCode.configurationError) return FailureClass.configuration;
  if (facts.stopCode === "UserInitiated") return FailureClass.stopped;
  if (facts.exitCode !== undefined && facts.exitCode !== ExitCode.success) return FailureClass.flowError;
  return FailureClass.unknown;
}
