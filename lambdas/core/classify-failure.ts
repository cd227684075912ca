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
  hostLost: "host-lost",
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

/**
 * Transient faults of the platform, worth another attempt: no capacity, throttling, and the provisioning timeouts
 * Fargate reports while it attaches a task's network interface or ephemeral storage.
 */
const CAPACITY = [
  /capacity is unavailable/i,
  /RESOURCE:(ENI|MEMORY|CPU)/i,
  /throttl/i,
  /rate exceeded/i,
  /AGENT/,
  /timeout waiting for network interface provisioning/i,
  /timeout waiting for ephemeral ?storage provisioning/i,
];

/** ECS refused the RunTask request itself (see the task launcher): only a change of configuration helps. */
export const RUN_TASK_REFUSED = "RunTask refused";

export function classifyFailure(facts: FailureFacts): FailureClass {
  const reason = facts.reason ?? "";
  if (CAPACITY.some((pattern) => pattern.test(reason))) return FailureClass.capacity;
  if (/CannotPullContainerError|pull image manifest|failed to resolve ref/i.test(reason)) return FailureClass.imagePull;
  if (reason.startsWith(RUN_TASK_REFUSED)) return FailureClass.configuration;
  if (/ResourceInitializationError|unable to pull secrets|invalid ssm parameters/i.test(reason)) {
    return FailureClass.configuration;
  }
  if (facts.exitCode === ExitCode.killed || /OutOfMemoryError/i.test(reason)) return FailureClass.outOfMemory;
  if (facts.stopCode === "SpotInterruption") return FailureClass.spotInterruption;
  // The platform took the task's host away (Fargate maintenance, an unhealthy host; locally, a control plane killed
  // while the task ran): nothing the flow did.
  if (facts.stopCode === "TerminationNotice" || facts.stopCode === "InfrastructureHealth") return FailureClass.hostLost;
  if (facts.exitCode === ExitCode.configurationError) return FailureClass.configuration;
  if (facts.stopCode === "UserInitiated") return FailureClass.stopped;
  if (facts.exitCode !== undefined && facts.exitCode !== ExitCode.success) return FailureClass.flowError;
  return FailureClass.unknown;
}
