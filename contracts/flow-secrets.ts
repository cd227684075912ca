/**
 * The credentials a flow may declare. Each is an SSM parameter `/DataFlows/{Env}/{NAME}` (see `secretParameterName`)
 * that ECS injects into the container through the task definition's `secrets`; a flow's execution role can read only
 * the ones that flow declares, and the local runner hands a flow only these, from the developer's shell.
 */
export const FLOW_SECRET_NAMES = [
  "SNOWFLAKE_PRIVATE_KEY",
  "SNOWFLAKE_ACCOUNT",
  "SNOWFLAKE_USER",
  "DBT_CLOUD_TOKEN",
  "DBT_CLOUD_ACCOUNT_ID",
] as const;

export type FlowSecretName = (typeof FLOW_SECRET_NAMES)[number];
