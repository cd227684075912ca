import { runSimulation } from "@cloud-copilot/iam-simulate";
import type { EnvironmentConfig } from "../../.aws/config";
import { loadRegistry } from "../../flows/index";
import { flowImageOf } from "../../flows/registry/flow-definition";
import { namesOf } from "../../.aws/config";
import type { EnvironmentNames } from "../../contracts/resource-names";
import { WATERMARK_WRITE_ATTRIBUTES } from "../../contracts/runs-table";
import type { ContextKind, IamRequirement, ResourceKind } from "../../lambdas/adapters/iam-contract";
import type { TerraformJson } from "./synth";

/**
 * A synthesized stack as AWS would see it once applied: every Terraform reference in a policy replaced by the value
 * the resource will have, built from the resource's own arguments in the ARN format AWS documents for its type.
 */
export class AppliedStack {
  readonly names: EnvironmentNames;

  constructor(
    readonly terraform: TerraformJson,
    readonly config: EnvironmentConfig,
  ) {
    this.names = namesOf(config);
  }

  /** A string with `${type.name.attribute}` references resolved. */
  resolve(text: string): string {
    return text.replace(
      /\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}/g,
      (_, type: string, name: string, attribute: string) => this.attribute(type, name, attribute),
    );
  }

  /** The inline policies of a role, by the role's name, resolved. */
  policiesOf(roleName: string): { name: string; policy: unknown }[] {
    const [address] =
      Object.entries(this.terraform.resource.aws_iam_role ?? {}).find(([, role]) => role.name === roleName) ?? [];
    if (!address) throw new Error(`no role named ${roleName}`);
    return Object.entries(this.terraform.resource.aws_iam_role_policy ?? {})
      .filter(([, policy]) => policy.role === `\${aws_iam_role.${address}.id}`)
      .map(([name, policy]) => ({ name, policy: JSON.parse(this.resolve(policy.policy as string)) }));
  }

  /** A customer-managed policy of the stack (`aws_iam_policy`), by name, resolved. */
  managedPolicy(policyName: string): { name: string; policy: unknown } {
    const policy = Object.values(this.terraform.resource.aws_iam_policy ?? {}).find((p) => p.name === policyName);
    if (!policy) throw new Error(`no policy named ${policyName}`);
    return { name: policyName, policy: JSON.parse(this.resolve(policy.policy as string)) };
  }

  /** A role's ARN, by name. */
  roleArn(roleName: string): string {
    return `arn:aws:iam::${this.config.accountId}:role/${roleName}`;
  }

  /** The role a flow's task definition names for `execution_role_arn` or `task_role_arn`, by name. */
  flowRoleName(flow: string, which: "execution_role_arn" | "task_role_arn"): string {
    const definition = Object.values(this.terraform.resource.aws_ecs_task_definition ?? {}).find(
      (candidate) => candidate.family === this.names.taskFamily(flow),
    );
    if (!definition) throw new Error(`no task definition for ${flow}`);
    return this.resolve(definition[which] as string)
      .split("/")
      .pop()!;
  }

  private attribute(type: string, address: string, attribute: string): string {
    const resource = this.terraform.resource[type]?.[address];
    if (!resource) throw new Error(`reference to unknown resource ${type}.${address}`);
    const { region, accountId } = this.config;
    const arn = (service: string, rest: string, account = accountId, inRegion = region) =>
      `arn:aws:${service}:${inRegion}:${account}:${rest}`;
    const formats: Record<string, Record<string, () => string>> = {
      aws_dynamodb_table: { arn: () => arn("dynamodb", `table/${resource.name}`), name: () => resource.name },
      aws_ecs_cluster: { arn: () => arn("ecs", `cluster/${resource.name}`), name: () => resource.name },
      aws_ecs_task_definition: {
        arn_without_revision: () => arn("ecs", `task-definition/${resource.family}`),
        arn: () => arn("ecs", `task-definition/${resource.family}:1`),
      },
      aws_iam_role: { arn: () => `arn:aws:iam::${accountId}:role/${resource.name}`, name: () => resource.name },
      aws_cloudwatch_event_bus: { arn: () => arn("events", `event-bus/${resource.name}`), name: () => resource.name },
      aws_cloudwatch_event_rule: {
        arn: () =>
          arn(
            "events",
            `rule/${resource.event_bus_name ? `${this.resolve(resource.event_bus_name)}/` : ""}${resource.name}`,
          ),
      },
      aws_sqs_queue: { arn: () => arn("sqs", resource.name), name: () => resource.name },
      aws_lambda_function: {
        arn: () => arn("lambda", `function:${resource.function_name}`),
        function_name: () => resource.function_name,
      },
      aws_cloudwatch_log_group: { arn: () => arn("logs", `log-group:${resource.name}`), name: () => resource.name },
      aws_scheduler_schedule_group: {
        arn: () => arn("scheduler", `schedule-group/${resource.name}`),
        name: () => resource.name,
      },
      aws_sns_topic: { arn: () => arn("sns", resource.name) },
      aws_kms_key: { arn: () => arn("kms", "key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d") },
      aws_ecr_repository: { arn: () => arn("ecr", `repository/${resource.name}`) },
      // Ids AWS assigns: the documented form (prefix and 17 hex digits), for sizing what embeds them.
      aws_security_group: { id: () => "sg-0123456789abcdef0" },
      aws_subnet: { id: () => "subnet-0123456789abcdef0" },
    };
    const format = formats[type]?.[attribute];
    if (!format) throw new Error(`no ARN format for ${type}.${attribute}: add AWS's documented one`);
    return format();
  }
}

/** What a request acts on, concretely, in an environment; `subject` picks the flow, secret or other environment. */
export function resourceOf(
  stack: AppliedStack,
  kind: ResourceKind,
  subject: { flow: string; secret?: string },
): string {
  const { names } = stack;
  const { region, accountId } = stack.config;
  const arn = (service: string, rest: string) => `arn:aws:${service}:${region}:${accountId}:${rest}`;
  const taskId = "5b1e0c7d9a8f4e2b8c6d4f1a2b3c4d5e";
  const kinds: Record<ResourceKind, () => string> = {
    runsTable: () => arn("dynamodb", `table/${names.runsTable}`),
    runsTableIndex: () => arn("dynamodb", `table/${names.runsTable}/index/byFlow`),
    flowTaskDefinition: () => arn("ecs", `task-definition/${names.taskFamily(subject.flow)}:7`),
    clusterTask: () => arn("ecs", `task/${names.cluster}/${taskId}`),
    clusterContainerInstance: () => arn("ecs", `container-instance/${names.cluster}/8f0e2c4a6b1d4e3f9a7c5b2d1e0f3a4b`),
    flowExecutionRole: () => stack.roleArn(stack.flowRoleName(subject.flow, "execution_role_arn")),
    flowTaskRole: () => stack.roleArn(stack.flowRoleName(subject.flow, "task_role_arn")),
    runEventBus: () => arn("events", `event-bus/${names.eventBus}`),
    retrySchedule: () => arn("scheduler", `schedule/${names.retryScheduleGroup}/${subject.flow}_20260302T1000Z-a2`),
    schedulerRole: () => stack.roleArn(`${names.prefix}-scheduler`),
    schedulerDeadLetters: () => arn("sqs", `${names.prefix}-scheduler-dlq`),
    launcherFunction: () => arn("lambda", `function:${names.functionName("launcher")}`),
    // The repository of the image the flow runs in: its execution role pulls that one only.
    imageRepository: () =>
      arn("ecr", `repository/${names.imageRepository(flowImageOf(loadRegistry().require(subject.flow)))}`),
    flowLogStream: () =>
      arn(
        "logs",
        `log-group:${names.flowLogGroup(subject.flow)}:log-stream:${names.flowLogStream(subject.flow, taskId)}`,
      ),
    slackWebhookParameter: () => arn("ssm", `parameter${names.slackWebhookParameter}`),
    flowSecretParameter: () => arn("ssm", `parameter${names.secretParameter(subject.secret!)}`),
    parameterKey: () => arn("kms", "key/7c1e9f4a-2b3d-4e5f-8a9b-0c1d2e3f4a5b"),
    "*": () => "*",
  };
  return kinds[kind]();
}

/** A condition key's value on a request; `subject` picks the flow where the value is the flow's. */
export function contextOf(stack: AppliedStack, kind: ContextKind, subject: { flow: string } = { flow: "x" }) {
  const { region, accountId } = stack.config;
  const kinds: Record<ContextKind, () => string | string[]> = {
    cluster: () => `arn:aws:ecs:${region}:${accountId}:cluster/${stack.names.cluster}`,
    ecsTasksService: () => "ecs-tasks.amazonaws.com",
    schedulerService: () => "scheduler.amazonaws.com",
    runTaskCreation: () => "RunTask",
    ssmService: () => `ssm.${region}.amazonaws.com`,
    callerAccount: () => accountId,
    flowRunKey: () => [`RUN#${subject.flow}/m20260302T101201Z-3fa9c1d2e4`],
    watermarkAttributes: () => [...WATERMARK_WRITE_ATTRIBUTES],
    noReturnValues: () => "NONE",
    iamAuthType: () => "AWS_IAM",
    viaFunctionUrl: () => "true",
  };
  return kinds[kind]();
}

/**
 * A customer-managed key whose policy delegates to IAM (the console's default): only the caller's identity policy can
 * allow a Decrypt. The AWS-managed `aws/ssm` key is more permissive, so a call allowed here is allowed there too.
 */
const KEY_POLICY_DELEGATING_TO_IAM = (accountId: string) => ({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: "kms:*", Resource: "*" },
  ],
});

export type Decision = "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" | `error: ${string}`;

/** AWS's decision on one request by a role, as @cloud-copilot/iam-simulate evaluates it. */
export async function decide(
  stack: AppliedStack,
  roleName: string,
  request: { action: string; resource: string; context: Record<string, string | string[]> },
): Promise<Decision> {
  return decideWith(stack, stack.roleArn(roleName), stack.policiesOf(roleName), request);
}

/** AWS's decision on one request by a principal whose identity policies are `policies`. */
export async function decideWith(
  stack: AppliedStack,
  principal: string,
  policies: { name: string; policy: unknown }[],
  request: { action: string; resource: string; context: Record<string, string | string[]> },
): Promise<Decision> {
  const { accountId } = stack.config;
  const result = await runSimulation(
    {
      request: {
        principal,
        action: request.action,
        resource: { resource: request.resource, accountId },
        contextVariables: request.context,
      },
      identityPolicies: policies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(request.action.startsWith("kms:") && { resourcePolicy: KEY_POLICY_DELEGATING_TO_IAM(accountId) }),
    },
    {},
  );
  if (result.resultType === "error") return `error: ${JSON.stringify(result.errors)}`;
  return result.overallResult as Decision;
}

/** One requirement of the contract as a concrete request in this stack. */
export function requestOf(
  stack: AppliedStack,
  requirement: IamRequirement,
  subject: { flow: string; secret?: string },
): { action: string; resource: string; context: Record<string, string | string[]> } {
  const resource = resourceOf(stack, requirement.resource, subject);
  const context = Object.fromEntries(
    Object.entries(requirement.context ?? {}).map(([key, kind]) => [key, contextOf(stack, kind, subject)]),
  );
  return { action: requirement.action, resource, context };
}
