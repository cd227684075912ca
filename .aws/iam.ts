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

/** An SSM parameter's ARN. Parameters are made by operators, not by the stacks, so their ARNs can only be written out. */
export const parameterArn = (region: string, accountId: string, name: string) =>
  `arn:aws:ssm:${region}:${accountId}:parameter${name}`;

/**
 * Reading SecureString parameters: the SSM action on exactly these parameters, and KMS Decrypt only as SSM asks for it
 * (`kms:ViaService`). SSM decrypts only for a GetParameter(s) call the role is allowed, so the parameter list above is
 * what bounds it. Decrypt is authorised on `key/*`, never on an alias: with the AWS-managed `aws/ssm` key its key policy
 * suffices, with a customer-managed key that delegates to IAM this statement is what allows it.
 */
export function readParameters(
  action: "ssm:GetParameter" | "ssm:GetParameters",
  region: string,
  accountId: string,
  parameterArns: readonly string[],
): PolicyStatement[] {
  return [
    allow([action], [...parameterArns]),
    allow(["kms:Decrypt"], [`arn:aws:kms:${region}:${accountId}:key/*`], {
      StringEquals: { "kms:ViaService": `ssm.${region}.amazonaws.com` },
    }),
  ];
}
