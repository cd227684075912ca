/** The control plane's functions: one Lambda each in AWS (`lambdas/<name>.ts`), one handler each locally. */
export const CONTROL_PLANE_FUNCTIONS = ["launcher", "recorder", "alerter", "reaper"] as const;
export type ControlPlaneFunctionName = (typeof CONTROL_PLANE_FUNCTIONS)[number];

/** How long each function may run: the stack's Lambda timeouts, and the deadline the local control plane gives. */
export const FUNCTION_TIMEOUT_SECONDS: Readonly<Record<ControlPlaneFunctionName, number>> = {
  launcher: 30,
  recorder: 30,
  alerter: 60,
  reaper: 120,
};

/**
 * The environment variables the stack sets on a function and the function reads at cold start. The stack sets them in
 * its `bind`/`grant*` calls; `lambdas/aws/aws-ports.ts` reads each with the adapter that needs it.
 */
export const FunctionEnv = {
  /** `dev`, `prod`: shown in alerts; resource names follow from it (see `environmentNames`). */
  environment: "DATA_FLOWS_ENVIRONMENT",
  /** The segment of SSM parameter paths, `Dev` in `/DataFlows/Dev/…`. */
  ssmEnvironment: "DATA_FLOWS_SSM_ENVIRONMENT",
  runsTableName: "RUNS_TABLE_NAME",
  runRetentionDays: "RUN_RETENTION_DAYS",
  clusterArn: "CLUSTER_ARN",
  subnetIds: "SUBNET_IDS",
  securityGroupIds: "SECURITY_GROUP_IDS",
  eventBusName: "EVENT_BUS_NAME",
  retryScheduleGroup: "RETRY_SCHEDULE_GROUP",
  retryRoleArn: "RETRY_ROLE_ARN",
  retryDeadLetterArn: "RETRY_DEAD_LETTER_ARN",
  retryBaseDelaySeconds: "RETRY_BASE_DELAY_SECONDS",
  /** The launcher's ARN, for retry schedules created by other functions (the launcher knows its own). */
  launcherArn: "LAUNCHER_ARN",
  launcherFunctionName: "LAUNCHER_FUNCTION_NAME",
  slackWebhookParameter: "SLACK_WEBHOOK_PARAMETER",
} as const;
export type FunctionEnvName = (typeof FunctionEnv)[keyof typeof FunctionEnv];
