import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleLambdas } from "../bundling/bundle-lambdas";
import { environments, namesOf } from "../.aws/config";
import { synthesize } from "../.aws/main";
import { loadRegistry } from "../flows/index";
import { loadRegistryOrReport } from "../flows/registry/flow-registry";
import { LOCK_FILE } from "./terraform-lock";

/** Where machine images keep providers for offline use; `DATA_FLOWS_TF_PROVIDER_MIRROR` overrides it. */
const DEFAULT_PROVIDER_MIRROR = "/opt/tf-plugins";

/**
 * `npm run validate:infra`: Terraform itself checks the synthesized stacks. For each environment: `terraform init`
 * (providers from a local filesystem mirror when there is one, else the registry), `terraform validate`, and
 * `terraform plan -refresh=false` with placeholder credentials, so the whole configuration is evaluated by the real
 * provider without an AWS account. Skips with a plain message when there is no terraform binary.
 */
async function main(): Promise<number> {
  const terraform = spawnSync("terraform", ["version", "-json"], { encoding: "utf8" });
  if (terraform.error || terraform.status !== 0) {
    console.log("validate:infra skipped: no terraform binary on PATH (install Terraform >= 1.9 to run this check)");
    return 0;
  }
  console.log(`terraform ${(JSON.parse(terraform.stdout) as { terraform_version: string }).terraform_version}`);
  const registry = loadRegistryOrReport(loadRegistry, (line) => console.error(line));
  if (!registry) return 1;

  const work = mkdtempSync(join(tmpdir(), "data-flows-validate-"));
  try {
    process.env.CHECKPOINT_DISABLE = "1";
    const configs = Object.values(environments);
    synthesize({
      outdir: join(work, "synth"),
      registry,
      environments: configs,
      bundles: await bundleLambdas(join(work, "bundles")),
    });
    const env = terraformEnvironment(work);
    let failed = false;
    for (const config of configs) {
      const stack = namesOf(config).prefix;
      const dir = join(work, "run", stack);
      cpSync(join(work, "synth", "stacks", stack), dir, { recursive: true });
      offline(join(dir, "cdk.tf.json"));
      cpSync(LOCK_FILE, join(dir, ".terraform.lock.hcl"));
      console.log(`\n== ${stack}`);
      const steps: [string, string[]][] = [
        ["init", ["init", "-input=false", "-backend=false", "-no-color"]],
        ["validate", ["validate", "-no-color"]],
        ["plan", ["plan", "-refresh=false", "-input=false", "-lock=false", "-var=image_tag=validate", "-no-color"]],
      ];
      for (const [name, args] of steps) {
        const result = spawnSync("terraform", [`-chdir=${dir}`, ...args], { env, encoding: "utf8" });
        const output = `${result.stdout}${result.stderr}`;
        if (result.status !== 0) {
          console.log(`terraform ${name} failed:\n${output}`);
          failed = true;
          break;
        }
        if (name === "validate") console.log(output.trim());
        if (name === "plan") console.log(output.split("\n").find((line) => line.startsWith("Plan:")) ?? output);
      }
    }
    return failed ? 1 : 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Makes a copy of a stack plannable without AWS: no S3 backend (no state bucket), no account guard (it needs STS;
 * `npm run deploy` enforces it with `aws sts get-caller-identity`), placeholder credentials with every check that
 * would call AWS turned off.
 */
function offline(file: string): void {
  const stack = JSON.parse(readFileSync(file, "utf8")) as {
    terraform: { backend?: unknown };
    provider: { aws: Record<string, unknown>[] };
  };
  delete stack.terraform.backend;
  for (const provider of stack.provider.aws) {
    delete provider.allowed_account_ids;
    Object.assign(provider, {
      access_key: "placeholder",
      secret_key: "placeholder",
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: true,
    });
  }
  writeFileSync(file, JSON.stringify(stack, null, 2));
}

/** Terraform's environment: a CLI config pointing at the provider mirror, if the machine has one. */
function terraformEnvironment(work: string): NodeJS.ProcessEnv {
  const mirror = process.env.DATA_FLOWS_TF_PROVIDER_MIRROR ?? DEFAULT_PROVIDER_MIRROR;
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1", AWS_EC2_METADATA_DISABLED: "true" };
  if (!existsSync(mirror)) {
    console.log(`no provider mirror at ${mirror}: providers come from the registry`);
    return env;
  }
  const cliConfig = join(work, "terraformrc");
  writeFileSync(
    cliConfig,
    `provider_installation {\n  filesystem_mirror {\n    path = ${JSON.stringify(mirror)}\n  }\n}\n`,
  );
  console.log(`providers from the filesystem mirror ${mirror}`);
  return { ...env, TF_CLI_CONFIG_FILE: cliConfig };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
