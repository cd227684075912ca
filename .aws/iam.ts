/** One IAM policy statement, written as data so tests can walk every document the stacks contain. */
export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/**
 * Actions that have no resource-level permissions in IAM, so `Resource: "*"` is the only value AWS accepts.
 * Anything else with a `*` resource is a mistake; the infra tests hold the stacks to this list.
 */
export const ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS = [
  "ecr:GetAuthorizationToken",
  "xray:PutTraceSegments",
  "xray:PutTelemetryRecords",
] as const;

export function policyDocument(statements: readonly PolicyStatement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

export function assumeRolePolicy(service: string, conditions?: PolicyStatement["Condition"]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
        ...(conditions && { Condition: conditions }),
      },
    ],
  });
}

export const allow = (
  Action: string[],
  Resource: string[],
  Condition?: PolicyStatement["Condition"],
): PolicyStatement => ({
  Effect: "Allow",
  Action,
  Resource,
  ...(Condition && { Condition }),
});
