/** Process exit codes of a flow container; the recorder and the alerter read them back from ECS events. */
export const ExitCode = {
  success: 0,
  flowError: 1,
  /** EX_CONFIG from sysexits.h: a missing secret or invalid parameter; retrying will not help. */
  configurationError: 78,
  /** 128 + SIGTERM: ECS stopped the task (timeout, cancel) and the flow gave up cleanly. */
  stopped: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
