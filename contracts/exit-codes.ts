/**
 * Exit codes of a flow container, whatever language the flow is written in. The recorder reads them back from ECS and
 * the failure classifier keys its retry decisions on them.
 */
export const ExitCode = {
  success: 0,
  flowError: 1,
  /** EX_CONFIG from sysexits.h: a missing secret or an invalid parameter; retrying will not help. */
  configurationError: 78,
  /** 128 + SIGKILL: the kernel's OOM killer, or ECS after the stop timeout. */
  killed: 137,
  /** 128 + SIGTERM: ECS stopped the task (timeout, cancel) and the flow gave up cleanly. */
  stopped: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
