import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { environments } from "../../.aws/config";

const ROOT = resolve(__dirname, "..", "..");
/** Where each deploy writes its stack and plan: a temporary folder, never the working tree. */
let OUT: string;

/**
 * Runs `npm run deploy -- …` as a person would, with `terraform` and `aws` replaced by recording stubs on PATH, writing
 * into a fresh temporary folder (`--out-dir`).
 */
function deploy(args: string[], callerAccount: string) {
  OUT = mkdtempSync(join(tmpdir(), "data-flows-deploy-"));
  const stubs = mkdtempSync(join(tmpdir(), "data-flows-stubs-"));
  const calls = join(stubs, "calls.log");
  writeFileSync(calls, "");
  for (const tool of ["terraform", "aws"]) {
    const path = join(stubs, tool);
    writeFileSync(
      path,
      `#!/bin/sh\necho "${tool} $*" >> "${calls}"\n` +
        (tool === "aws" ? `echo "${callerAccount}"\n` : `case "$2" in show) echo "Plan: 81 to add";; esac\n`),
    );
    chmodSync(path, 0o755);
  }
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", join(ROOT, "scripts", "deploy.ts"), ...args, "--out-dir", OUT],
    {
      cwd: ROOT,
      env: { ...process.env, PATH: `${stubs}:${process.env.PATH}`, CHECKPOINT_DISABLE: "1" },
      encoding: "utf8",
    },
  );
  const recorded = readFileSync(calls, "utf8").trim().split("\n").filter(Boolean);
  return {
    code: result.status,
    stderr: result.stderr,
    terraform: recorded.filter((line) => line.startsWith("terraform ")),
  };
}

/** Every file under these folders of the working tree, with when it last changed. */
function filesIn(folders: string[]): Record<string, number> {
  const files: Record<string, number> = {};
  for (const folder of folders) {
    const root = join(ROOT, folder);
    if (!existsSync(root)) continue;
    for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
      if (entry.isFile())
        files[join(entry.parentPath, entry.name)] = statSync(join(entry.parentPath, entry.name)).mtimeMs;
    }
  }
  return files;
}

describe("npm run deploy", () => {
  it("synthesizes, then inits, plans with the image tag, and applies the environment's stack", () => {
    const result = deploy(["dev", "--image-tag", "3f2a9c1"], environments.dev.accountId);
    expect(result.code).toBe(0);
    const chdir = `-chdir=${join(OUT, "stacks", "data-flows-dev")}`;
    expect(result.terraform).toEqual([
      `terraform ${chdir} init -input=false`,
      `terraform ${chdir} plan -input=false -out=tfplan -var=image_tag=3f2a9c1`,
      `terraform ${chdir} show -no-color tfplan`,
      `terraform ${chdir} apply -input=false tfplan`,
    ]);
    const stack = JSON.parse(readFileSync(join(OUT, "stacks", "data-flows-dev", "cdk.tf.json"), "utf8"));
    // The committed provider lock file is what terraform init installs against.
    expect(readFileSync(join(OUT, "stacks", "data-flows-dev", ".terraform.lock.hcl"), "utf8")).toBe(
      readFileSync(join(ROOT, ".aws", ".terraform.lock.hcl"), "utf8"),
    );
    expect(stack.terraform.backend.s3).toMatchObject({
      bucket: environments.dev.stateBackend.bucket,
      key: environments.dev.stateBackend.key,
    });
    expect(readFileSync(join(OUT, "data-flows-dev.plan.txt"), "utf8")).toContain("Plan: 81 to add");
  });

  it("creates only the image repositories with --bootstrap, for an account's first deploy", () => {
    const result = deploy(["dev", "--bootstrap"], environments.dev.accountId);
    expect(result.code).toBe(0);
    expect(result.terraform.slice(1)).toEqual([
      `terraform -chdir=${join(OUT, "stacks", "data-flows-dev")} apply -input=false -target=aws_ecr_repository.flow_image_repository -target=aws_ecr_repository.flow_image_repository_python -var=image_tag=bootstrap`,
    ]);
    const stack = JSON.parse(readFileSync(join(OUT, "stacks", "data-flows-dev", "cdk.tf.json"), "utf8"));
    expect(Object.keys(stack.resource.aws_ecr_repository).sort()).toEqual([
      "flow_image_repository",
      "flow_image_repository_python",
    ]);
  });

  it("refuses an unknown environment before touching anything", () => {
    const result = deploy(["staging", "--image-tag", "3f2a9c1"], environments.dev.accountId);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown environment "staging"; known: dev, prod');
    expect(result.terraform).toEqual([]);
  });

  it("refuses credentials for another account", () => {
    const result = deploy(["prod", "--image-tag", "3f2a9c1"], environments.dev.accountId);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `refusing to deploy prod: these credentials are for account ${environments.dev.accountId}, prod lives in ${environments.prod.accountId}`,
    );
    expect(result.terraform).toEqual([]);
  });

  it("requires the image tag", () => {
    const result = deploy(["dev"], environments.dev.accountId);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--image-tag is required");
  });

  describe("with --plan-only", () => {
    // One deploy for both: each synthesizes and bundles everything, the slowest step of this file.
    let before: Record<string, number>;
    let result: ReturnType<typeof deploy>;
    beforeAll(() => {
      before = filesIn(["cdktf.out", "dist"]);
      result = deploy(["prod", "--image-tag", "3f2a9c1", "--plan-only"], environments.prod.accountId);
    });

    it("stops after the plan", () => {
      expect(result.code).toBe(0);
      expect(result.terraform.map((line) => line.split(" ")[2])).toEqual(["init", "plan", "show"]);
    });

    it("writes only into its --out-dir, leaving the working tree's cdktf.out and dist as they were", () => {
      expect(filesIn(["cdktf.out", "dist"])).toEqual(before);
    });
  });
});
