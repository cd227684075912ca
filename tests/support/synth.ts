import { Testing } from "cdktf";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FlowRegistry } from "../../flows/registry/flow-registry";
import type { ControlPlaneFunctionName } from "../../contracts/control-plane";
import { bundleLambdas } from "../../.aws/bundle-lambdas";
import type { EnvironmentConfig } from "../../.aws/config";
import { namesOf } from "../../.aws/config";
import { DataFlowsStack } from "../../.aws/stack";

let bundles: Promise<Record<ControlPlaneFunctionName, string>> | undefined;

/** The real esbuild bundles, built once per test file. */
export function lambdaBundles() {
  bundles ??= bundleLambdas(mkdtempSync(join(tmpdir(), "data-flows-bundles-")));
  return bundles;
}

/** Synthesized Terraform JSON of one environment's stack, as a string (for cdktf matchers) and parsed. */
export async function synthesizeStack(config: EnvironmentConfig, registry: FlowRegistry) {
  process.env.CHECKPOINT_DISABLE = "1";
  const app = Testing.app();
  const stack = new DataFlowsStack(app, namesOf(config).prefix, { config, registry, bundles: await lambdaBundles() });
  const synthesized = Testing.synth(stack);
  return { synthesized, terraform: JSON.parse(synthesized) as TerraformJson };
}

export interface TerraformJson {
  terraform: { backend: Record<string, Record<string, unknown>> };
  provider: { aws: Record<string, unknown>[] };
  resource: Record<string, Record<string, Record<string, any>>>;
  output: Record<string, { value: string }>;
  variable: Record<string, unknown>;
}

/** Every resource of a type, by its Terraform name. */
export function resources(terraform: TerraformJson, type: string): Record<string, any>[] {
  return Object.values(terraform.resource[type] ?? {});
}

/**
 * The resource a Terraform reference points at (`${aws_ecs_task_definition.x.arn}:*` → that task definition), so a
 * test can check what a policy or variable is wired to, not just that it is some reference.
 */
export function referencedResource(terraform: TerraformJson, reference: string): Record<string, any> | undefined {
  const match = /\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.[a-z_]+\}/.exec(reference);
  return match ? terraform.resource[match[1]!]?.[match[2]!] : undefined;
}

/** Every IAM policy document in the stack: inline role policies, parsed, with the role they belong to. */
export function policyDocuments(terraform: TerraformJson) {
  return Object.entries(terraform.resource.aws_iam_role_policy ?? {}).map(([name, policy]) => ({
    name,
    role: policy.role as string,
    document: JSON.parse(policy.policy as string) as {
      Statement: {
        Effect: string;
        Action: string[];
        Resource: string[];
        Condition?: Record<string, Record<string, unknown>>;
      }[];
    },
  }));
}

/** The inline policies of the role a Terraform reference (e.g. a task definition's execution role ARN) points at. */
export function policiesOfRole(terraform: TerraformJson, roleReference: string) {
  const match = /\$\{aws_iam_role\.([A-Za-z0-9_-]+)\.[a-z_]+\}/.exec(roleReference);
  if (!match) throw new Error(`not a role reference: ${roleReference}`);
  return policyDocuments(terraform).filter((policy) => policy.role === `\${aws_iam_role.${match[1]}.id}`);
}

/** A flow's task definition as synthesized, by flow name. */
export function taskDefinitionOf(terraform: TerraformJson, flow: string): Record<string, any> {
  const definition = resources(terraform, "aws_ecs_task_definition").find((candidate) =>
    String(candidate.family).endsWith(`-${flow}`),
  );
  if (!definition) throw new Error(`no task definition for ${flow}`);
  return definition;
}
