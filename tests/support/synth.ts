import { Testing } from "cdktf";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FlowRegistry } from "../../flows/registry/flow-registry";
import type { ControlPlaneFunctionName } from "../../contracts/control-plane";
import { CONTROL_PLANE_FUNCTIONS } from "../../contracts/control-plane";
import { bundleLambdas } from "../../bundling/bundle-lambdas";
import type { EnvironmentConfig } from "../../.aws/config";
import { namesOf } from "../../.aws/config";
import { DataFlowsStack } from "../../.aws/stack";

let bundles: Promise<Record<ControlPlaneFunctionName, string>> | undefined;

const ROOT = join(__dirname, "..", "..");
/** What the Lambda bundles are built from: the code they import, and the packages locked. */
const BUNDLE_SOURCES = ["lambdas", "contracts", "flows", "bundling", "package-lock.json"];

/**
 * The real esbuild bundles. Built once per change of their sources and shared by every test file (each infra suite
 * used to spend ~3 s bundling the same code): kept in the temp folder under a hash of the sources, written to a folder
 * of its own and renamed into place, so workers building at once never read a half-written bundle.
 */
export function lambdaBundles() {
  bundles ??= (async () => {
    const dir = join(tmpdir(), `data-flows-test-bundles-${sourceHash()}`);
    const paths = () => Object.fromEntries(CONTROL_PLANE_FUNCTIONS.map((name) => [name, join(dir, name)]));
    if (existsSync(join(dir, "complete"))) return paths() as Record<ControlPlaneFunctionName, string>;
    const building = mkdtempSync(`${dir}.building-`);
    await bundleLambdas(building);
    writeFileSync(join(building, "complete"), "");
    try {
      renameSync(building, dir);
    } catch {
      rmSync(building, { recursive: true, force: true }); // another worker renamed its own first: the same bundles
    }
    return paths() as Record<ControlPlaneFunctionName, string>;
  })();
  return bundles;
}

function sourceHash(): string {
  const hash = createHash("sha256");
  const add = (path: string) => {
    if (statSync(path).isFile()) {
      hash.update(path).update(readFileSync(path));
      return;
    }
    for (const entry of readdirSync(path, { recursive: true, withFileTypes: true }).sort((a, b) =>
      join(a.parentPath, a.name).localeCompare(join(b.parentPath, b.name)),
    )) {
      if (entry.isFile()) add(join(entry.parentPath, entry.name));
    }
  };
  for (const source of BUNDLE_SOURCES) add(join(ROOT, source));
  return hash.digest("hex").slice(0, 16);
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
  const parse = (policy: Record<string, unknown>) =>
    JSON.parse(policy.policy as string) as {
      Statement: {
        Effect: string;
        Action: string[];
        Resource: string[];
        Condition?: Record<string, Record<string, unknown>>;
      }[];
    };
  // Roles' inline policies, and the managed ones a team attaches to its own roles (the viewer and the operator).
  return [
    ...Object.entries(terraform.resource.aws_iam_role_policy ?? {}).map(([name, policy]) => ({
      name,
      role: policy.role as string,
      document: parse(policy),
    })),
    ...Object.entries(terraform.resource.aws_iam_policy ?? {}).map(([name, policy]) => ({
      name,
      role: undefined,
      document: parse(policy),
    })),
  ];
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
