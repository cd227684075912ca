import { environments } from "../../.aws/config";
import { EVENT_PATTERN_MAX_CHARACTERS } from "../../contracts/event-routes";
import { FLOW_SECRET_NAMES } from "../../contracts/flow-secrets";
import type { FlowInput } from "../../flows/registry/flow-definition";
import { defineRegistry } from "../../flows/registry/flow-registry";
import { AppliedStack } from "../support/iam";
import type { TerraformJson } from "../support/synth";
import { resources, synthesizeStack } from "../support/synth";

/**
 * AWS's documented limits that grow with the number of flows, checked on a registry of 500:
 * - IAM and AWS STS quotas: inline policies of a role, 10,240 non-whitespace characters in all; a managed policy,
 *   6,144; a trust policy, 2,048; 1,000 roles per account.
 * - Amazon EventBridge quotas: 300 rules per event bus, 5 targets per rule, 2,048 characters per event pattern.
 * - Lambda quotas: 4 KB of environment variables per function.
 * - Amazon ECS quotas: a task definition of at most 64 KiB.
 */
const FLOWS = 500;
const LIMITS = {
  rolePolicyCharacters: 10_240,
  managedPolicyCharacters: 6_144,
  trustPolicyCharacters: 2_048,
  rolesPerAccount: 1_000,
  rulesPerBus: 300,
  targetsPerRule: 5,
  eventPatternCharacters: EVENT_PATTERN_MAX_CHARACTERS,
  lambdaEnvironmentBytes: 4 * 1024,
  taskDefinitionBytes: 64 * 1024,
};

/** 500 flows of every shape: each of the 32 sets of secrets, every other flow downstream of the one before. */
function generatedFlows(): FlowInput[] {
  return Array.from({ length: FLOWS }, (_, index) => ({
    name: `warehouse-load-${String(index).padStart(3, "0")}`,
    description: `generated flow ${index}`,
    owner: "@data-eng",
    secrets: FLOW_SECRET_NAMES.filter((_, bit) => (index >> bit) & 1),
    ...(index % 2 === 1
      ? { upstream: [`warehouse-load-${String(index - 1).padStart(3, "0")}`] }
      : { schedule: { cron: `${index % 60} ${index % 24} * * *`, timezone: "Europe/London" } }),
  }));
}

const nonWhitespace = (text: string) => text.replace(/\s/g, "").length;

describe.each(["dev", "prod"] as const)(`the %s stack with ${FLOWS} flows, against AWS quotas`, (environment) => {
  const config = environments[environment];
  let terraform: TerraformJson;
  let stack: AppliedStack;

  beforeAll(async () => {
    ({ terraform } = await synthesizeStack(config, defineRegistry(generatedFlows())));
    stack = new AppliedStack(terraform, config);
  }, 120_000);

  it(`keeps every role's inline policies under ${LIMITS.rolePolicyCharacters} characters in all`, () => {
    const byRole = new Map<string, number>();
    for (const policy of resources(terraform, "aws_iam_role_policy")) {
      byRole.set(policy.role, (byRole.get(policy.role) ?? 0) + nonWhitespace(stack.resolve(policy.policy)));
    }
    const over = [...byRole].filter(([, size]) => size > LIMITS.rolePolicyCharacters);
    expect(over).toEqual([]);
    expect(Math.max(...byRole.values())).toBeGreaterThan(0);
  });

  it(`keeps every managed policy under ${LIMITS.managedPolicyCharacters} characters`, () => {
    const over = resources(terraform, "aws_iam_policy").filter(
      (policy) => nonWhitespace(stack.resolve(policy.policy)) > LIMITS.managedPolicyCharacters,
    );
    expect(over).toEqual([]);
  });

  it(`keeps every trust policy under ${LIMITS.trustPolicyCharacters} characters`, () => {
    const over = resources(terraform, "aws_iam_role").filter(
      (role) => nonWhitespace(role.assume_role_policy) > LIMITS.trustPolicyCharacters,
    );
    expect(over).toEqual([]);
  });

  it("needs a few dozen roles, far below an account's 1,000, however many flows there are", () => {
    // 4 functions, the scheduler, one task role, one execution role per set of secrets (32 here).
    expect(resources(terraform, "aws_iam_role").length).toBeLessThanOrEqual(4 + 1 + 1 + 2 ** FLOW_SECRET_NAMES.length);
  });

  it(`puts at most ${LIMITS.rulesPerBus} rules on any bus, each with at most ${LIMITS.targetsPerRule} targets`, () => {
    const rulesPerBus = new Map<string, number>();
    for (const rule of resources(terraform, "aws_cloudwatch_event_rule")) {
      const bus = rule.event_bus_name ?? "default";
      rulesPerBus.set(bus, (rulesPerBus.get(bus) ?? 0) + 1);
    }
    expect(Math.max(...rulesPerBus.values())).toBeLessThanOrEqual(LIMITS.rulesPerBus);
    const targetsPerRule = new Map<string, number>();
    for (const target of resources(terraform, "aws_cloudwatch_event_target")) {
      targetsPerRule.set(target.rule, (targetsPerRule.get(target.rule) ?? 0) + 1);
    }
    expect(Math.max(...targetsPerRule.values())).toBeLessThanOrEqual(LIMITS.targetsPerRule);
  });

  it(`keeps every event pattern under ${LIMITS.eventPatternCharacters} characters, splitting rules as needed`, () => {
    const patterns = resources(terraform, "aws_cloudwatch_event_rule")
      .filter((rule) => rule.event_pattern)
      .map((rule) => ({ name: rule.name as string, size: stack.resolve(rule.event_pattern).length }));
    expect(patterns.filter((pattern) => pattern.size > LIMITS.eventPatternCharacters)).toEqual([]);
    expect(patterns.filter((pattern) => pattern.name.includes("upstream-successes")).length).toBeGreaterThan(1);
  });

  it("routes the success of every upstream flow to the launcher", () => {
    const routed = resources(terraform, "aws_cloudwatch_event_rule")
      .filter((rule) => rule.name.includes("upstream-successes"))
      .flatMap((rule) => JSON.parse(rule.event_pattern).detail.flow as string[]);
    expect(routed).toHaveLength(FLOWS / 2);
  });

  it(`keeps every function's environment under ${LIMITS.lambdaEnvironmentBytes} bytes`, () => {
    for (const fn of resources(terraform, "aws_lambda_function")) {
      const variables = Object.entries(fn.environment.variables as Record<string, string>);
      const bytes = variables.reduce(
        (sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(stack.resolve(value)),
        0,
      );
      expect({ fn: fn.function_name, bytes: Math.min(bytes, LIMITS.lambdaEnvironmentBytes) }).toEqual({
        fn: fn.function_name,
        bytes,
      });
    }
  });

  it(`keeps every task definition under ${LIMITS.taskDefinitionBytes / 1024} KiB`, () => {
    const largest = Math.max(
      ...resources(terraform, "aws_ecs_task_definition").map((definition) =>
        Buffer.byteLength(JSON.stringify(definition)),
      ),
    );
    expect(largest).toBeLessThan(LIMITS.taskDefinitionBytes);
  });
});
