import { spawnSync } from "node:child_process";
import { copyFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { bundleLambdas } from "../bundling/bundle-lambdas";
import { environments, namesOf } from "../.aws/config";
import { FLOW_IMAGE_REPOSITORY_IDS } from "../.aws/constructs/flow-tasks";
import { synthesize } from "../.aws/main";
import { loadRegistry } from "../flows/index";
import { LOCK_FILE } from "./terraform-lock";

const ROOT = resolve(__dirname, "..");
const USAGE =
  "usage: npm run deploy -- <dev|prod> (--image-tag <commit sha> [--plan-only] | --bootstrap) [--out-dir <dir>]";

class DeployError extends Error {
  override name = "DeployError";
}

/** Runs a command with inherited output; a non-zero exit stops the deploy. Returns stdout when captured. */
function run(command: string, args: string[], capture = false): string {
  console.log(`$ ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, {
    stdio: capture ? ["ignore", "pipe", "inherit"] : "inherit",
    encoding: "utf8",
  });
  if (result.error) throw new DeployError(`${command} could not run: ${result.error.message}`);
  if (result.status !== 0) throw new DeployError(`${command} ${args[0] ?? ""} exited with ${result.status}`);
  return capture ? result.stdout.trim() : "";
}

/**
 * `npm run deploy -- <env> --image-tag <sha>`: synthesize, then terraform init, plan and apply the environment's
 * stack. Refuses an unknown environment, and credentials for any account but the environment's own.
 */
async function deploy(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      "image-tag": { type: "string" },
      "plan-only": { type: "boolean", default: false },
      bootstrap: { type: "boolean", default: false },
      /** Where the stack, its bundles and the plan are written (cdktf.out by default). */
      "out-dir": { type: "string" },
    },
  });
  const [environment] = positionals;
  if (positionals.length !== 1 || !environment) throw new DeployError(USAGE);
  const config = environments[environment as keyof typeof environments];
  if (!config || !Object.hasOwn(environments, environment)) {
    throw new DeployError(`unknown environment "${environment}"; known: ${Object.keys(environments).join(", ")}`);
  }
  const imageTag = values["image-tag"];
  if (!imageTag && !values.bootstrap) {
    throw new DeployError(`--image-tag is required (the commit SHA the image was pushed under)\n${USAGE}`);
  }

  const account = run("aws", ["sts", "get-caller-identity", "--query", "Account", "--output", "text"], true);
  if (account !== config.accountId) {
    throw new DeployError(
      `refusing to deploy ${environment}: these credentials are for account ${account}, ${environment} lives in ${config.accountId}`,
    );
  }

  process.env.CHECKPOINT_DISABLE = "1";
  const registry = loadRegistry();
  const outDir = resolve(values["out-dir"] ?? join(ROOT, "cdktf.out"));
  synthesize({
    outdir: outDir,
    registry,
    environments: [config],
    bundles: await bundleLambdas(join(outDir, "bundles")),
  });
  const stackDir = join(outDir, "stacks", namesOf(config).prefix);
  // The committed lock file pins the provider release and its checksums: every deploy installs exactly that.
  copyFileSync(LOCK_FILE, join(stackDir, ".terraform.lock.hcl"));
  const chdir = `-chdir=${stackDir}`;
  run("terraform", [chdir, "init", "-input=false"]);
  if (values.bootstrap) {
    // First deploy of an account: the image repositories must exist before the pipeline can push the first images.
    run("terraform", [
      chdir,
      "apply",
      "-input=false",
      ...Object.values(FLOW_IMAGE_REPOSITORY_IDS).map((id) => `-target=aws_ecr_repository.${id}`),
      "-var=image_tag=bootstrap",
    ]);
    return;
  }
  run("terraform", [chdir, "plan", "-input=false", "-out=tfplan", `-var=image_tag=${imageTag}`]);
  const plan = run("terraform", [chdir, "show", "-no-color", "tfplan"], true);
  const planFile = join(outDir, `${namesOf(config).prefix}.plan.txt`);
  writeFileSync(planFile, `${plan}\n`);
  if (values["plan-only"]) {
    console.log(`plan only: nothing applied (plan in ${planFile})`);
    return;
  }
  run("terraform", [chdir, "apply", "-input=false", "tfplan"]);
}

deploy(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`deploy: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(error instanceof DeployError ? 2 : 1);
});
