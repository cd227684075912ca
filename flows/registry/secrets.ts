/**
 * The credentials a flow may declare. Each is an SSM parameter `/DataFlows/{Env}/{NAME}` that ECS injects into the
 * container through the task definition's `secrets`; the execution role can read only the ones a flow declares.
 */
export const FLOW_SECRET_NAMES = [
  "SNOWFLAKE_PRIVATE_KEY",
  "SNOWFLAKE_ACCOUNT",
  "SNOWFLAKE_USER",
  "DBT_CLOUD_TOKEN",
  "DBT_CLOUD_ACCOUNT_ID",
] as const;

export type FlowSecretName = (typeof FLOW_SECRET_NAMES)[number];

/** The SSM parameter name holding a secret in an environment, e.g. `/DataFlows/Dev/DBT_CLOUD_TOKEN`. */
export function secretParameterName(environmentTitle: string, secret: string): string {
  return `/DataFlows/${environmentTitle}/${secret}`;
}
