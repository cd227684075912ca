import { parseConfig } from "@circleci/circleci-config-parser";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { environments, imageRepositoryUri, TERRAFORM_VERSION } from "../../.aws/config";
import { FLOW_IMAGES } from "../../contracts/flow-images";

/** HashiCorp's release signing key, as published by HashiCorp: C874 011F 0AB4 0511 0D02 1055 3436 5D94 72D7 468F. */
const HASHICORP_KEY = "C874011F0AB405110D02105534365D9472D7468F";
/** The AWS CLI Team's key, as AWS publishes it for the v2 installer: FB5D B77F D5C1 18B8 0511 ADA8 A631 0ACC 4672 475C. */
const AWS_CLI_KEY = "FB5DB77FD5C118B80511ADA8A6310ACC4672475C";

type Step = string | Record<string, unknown>;
interface WorkflowEntry {
  name?: string;
  type?: string;
  requires?: string[];
  context?: string | string[];
  filters?: { branches?: { only?: string | string[]; ignore?: string | string[] } };
  "serial-group"?: string;
  [parameter: string]: unknown;
}
interface PipelineConfig {
  parameters: Record<string, { default: string }>;
  executors: Record<string, Record<string, unknown>>;
  commands: Record<string, { parameters?: Record<string, { default?: unknown }>; steps: Step[] }>;
  jobs: Record<string, { parameters?: Record<string, { default?: unknown }>; steps: Step[]; [key: string]: unknown }>;
  workflows: Record<string, { jobs: (string | Record<string, WorkflowEntry>)[] }>;
}

const configText = readFileSync(join(__dirname, "..", "..", ".circleci", "config.yml"), "utf8");
/** A fresh copy each call, so a test may break it without touching the others. */
const loadConfig = () => parse(configText) as PipelineConfig;
const config = loadConfig();

/**
 * Validates a config with CircleCI's own parser (@circleci/circleci-config-parser), offline: it checks the config, its
 * executors, commands, jobs, steps and workflows against CircleCI's JSON schemas and resolves every executor, command
 * and job they name, throwing on the first one that is wrong.
 *
 * What the parser does not check, the tests below check structurally:
 * - its workflow-job schema knows `requires` only as a list of strings, `context` and `type: approval`; it does not
 *   check that `requires` names a job of the workflow, nor `filters`, nor `serial-group`, nor the parameters a workflow
 *   passes a job (or a step passes a command);
 * - its step schema accepts a bare string only for `checkout`, `setup_remote_docker` or an orb command, so a reusable
 *   command invoked by bare name (`- install`, valid 2.1 config) is handed to it in the equivalent map form
 *   (`- install: {}`), which it still resolves against `commands`.
 */
function validateWithCircleCiParser(input: PipelineConfig): void {
  const copy = structuredClone(input);
  const mapForm = (steps: Step[]) =>
    steps.map((step) => (typeof step === "string" && step in (copy.commands ?? {}) ? { [step]: {} } : step));
  for (const command of Object.values(copy.commands ?? {})) command.steps = mapForm(command.steps);
  for (const job of Object.values(copy.jobs ?? {})) job.steps = mapForm(job.steps);
  parseConfig(copy);
}

/** Each workflow job by its name, with the job it runs (`job`; for an approval, its own name). */
const workflowJobs = Object.values(config.workflows).flatMap((workflow) =>
  workflow.jobs.map((entry): WorkflowEntry & { job: string; name: string } => {
    if (typeof entry === "string") return { job: entry, name: entry };
    const [job, settings] = Object.entries(entry)[0]!;
    return { ...settings, job, name: settings.name ?? job };
  }),
);
const job = (name: string) => {
  const found = workflowJobs.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`the workflow has no job named ${name}`);
  return found;
};
const isApproval = (entry: WorkflowEntry) => entry.type === "approval";

/** A job's steps with the reusable commands they invoke expanded, as CircleCI runs them. */
function expandedSteps(steps: Step[]): Step[] {
  return steps.flatMap((step) => {
    const name = typeof step === "string" ? step : Object.keys(step)[0]!;
    const command = config.commands[name];
    return command ? [step, ...expandedSteps(command.steps)] : [step];
  });
}
const stepsText = (jobName: string) => JSON.stringify(expandedSteps(config.jobs[jobName]!.steps));
const stepNames = (jobName: string) =>
  config.jobs[jobName]!.steps.map((step) => (typeof step === "string" ? step : Object.keys(step)[0]!));
/** The shell a reusable command runs, all its `run` steps in order. */
const commandScript = (name: string) =>
  config.commands[name]!.steps.map((step) => (step as { run?: { command: string } }).run?.command ?? "").join("\n");

/** Where each snippet starts in the text, in the order given (-1 when it is missing). */
const positions = (text: string, snippets: string[]) => snippets.map((snippet) => text.indexOf(snippet));
const ascending = (numbers: number[]) => [...numbers].sort((a, b) => a - b);

/** CircleCI's branch filter: `only` and `ignore` take names or /regexes/ that must match the whole branch name. */
function runsOnBranch(entry: WorkflowEntry, branch: string): boolean {
  const matches = (patterns: string | string[]) =>
    [patterns].flat().some((pattern) => {
      const regex = /^\/(.*)\/$/.exec(pattern);
      return regex ? new RegExp(`^(?:${regex[1]})$`).test(branch) : pattern === branch;
    });
  const { only, ignore } = entry.filters?.branches ?? {};
  return (only === undefined || matches(only)) && (ignore === undefined || !matches(ignore));
}
/** Every job a workflow job waits for, directly or through the jobs it requires. */
function upstreamOf(name: string): Set<string> {
  const found = new Set<string>();
  const visit = (current: string) => {
    for (const required of job(current).requires ?? []) {
      if (!found.has(required)) {
        found.add(required);
        visit(required);
      }
    }
  };
  visit(name);
  return found;
}
/** The environment whose account a workflow job targets. */
const environmentOf = (entry: WorkflowEntry) =>
  Object.values(environments).find((env) => env.accountId === entry["account-id"]);
/** Job definitions that obtain AWS credentials, and so call AWS. */
const awsJobs = Object.keys(config.jobs).filter((name) => stepNames(name).includes("assume-deploy-role"));

describe("CircleCI's config parser", () => {
  it("accepts the pipeline config", () => {
    expect(() => validateWithCircleCiParser(config)).not.toThrow();
  });

  it.each<[string, (broken: any) => void]>([
    [
      "a job on an executor the config does not define",
      (broken) => {
        broken.jobs.test.executor = "no-such-executor";
      },
    ],
    [
      "a machine executor with an unknown key",
      (broken) => {
        broken.executors.builder.machine.imag = broken.executors.builder.machine.image;
      },
    ],
    [
      "a workflow running a job the config does not define",
      (broken) => {
        broken.workflows.pipeline.jobs.push({ "no-such-job": { requires: ["test"] } });
      },
    ],
    [
      "a step invoking a command the config does not define",
      (broken) => {
        broken.jobs.deploy.steps.push("no-such-command");
      },
    ],
    [
      "a run step without a command",
      (broken) => {
        broken.jobs.test.steps.push({ run: { name: "does nothing" } });
      },
    ],
    [
      "a workflow job whose type is not approval",
      (broken) => {
        broken.workflows.pipeline.jobs.push({ "approve-something": { type: "aproval", requires: ["test"] } });
      },
    ],
  ])("rejects a config with %s", (_, breakIt) => {
    const broken = loadConfig();
    breakIt(broken);
    expect(() => validateWithCircleCiParser(broken)).toThrow(/Error while parsing/);
  });
});

describe("the CircleCI pipeline", () => {
  it("defines every job the workflow runs", () => {
    for (const entry of workflowJobs.filter((candidate) => !isApproval(candidate))) {
      expect(Object.keys(config.jobs)).toContain(entry.job);
    }
  });

  it("requires only jobs that exist", () => {
    const names = workflowJobs.map((entry) => entry.name);
    for (const entry of workflowJobs) for (const required of entry.requires ?? []) expect(names).toContain(required);
  });

  it("passes every job exactly the parameters it declares without a default", () => {
    const settings = new Set(["name", "job", "type", "requires", "context", "filters", "serial-group", "matrix"]);
    for (const entry of workflowJobs.filter((candidate) => !isApproval(candidate))) {
      const declared = config.jobs[entry.job]!.parameters ?? {};
      const passed = Object.keys(entry).filter((key) => !settings.has(key));
      const missing = Object.keys(declared).filter(
        (name) => declared[name]!.default === undefined && !passed.includes(name),
      );
      const unknown = passed.filter((name) => !(name in declared));
      expect({ job: entry.name, missing, unknown }).toEqual({ job: entry.name, missing: [], unknown: [] });
    }
  });

  it("tests every branch", () => {
    expect(job("test").filters).toBeUndefined();
    expect(stepsText("test")).toContain("npm test");
  });

  it.each([
    ["dev", ["test", "push-image-dev", "push-python-image-dev", "deploy-dev"]],
    ["main", ["test", "push-image-prod", "push-python-image-prod", "approve-deploy-prod", "deploy-prod"]],
    ["feature/anything", ["test"]],
  ])("runs on the %s branch exactly %j", (branch, expected) => {
    expect(workflowJobs.filter((entry) => runsOnBranch(entry, branch)).map((entry) => entry.name)).toEqual(expected);
  });

  it.each(["push-image-dev", "push-python-image-dev", "push-image-prod", "push-python-image-prod"])(
    "builds %s only after the tests pass",
    (name) => {
      expect(job(name).requires).toContain("test");
    },
  );

  it.each([
    ["deploy-dev", "push-image-dev"],
    ["deploy-prod", "push-image-prod"],
  ])("runs %s only after the tests pass and %s has pushed its image", (deploy, image) => {
    expect(job(deploy).requires).toEqual(expect.arrayContaining(["test", image]));
  });

  it("has a person approve prod deploys in an approval job", () => {
    expect(job("approve-deploy-prod").type).toBe("approval");
  });

  it("holds every prod deploy for that approval", () => {
    const prodDeploys = workflowJobs.filter(
      (entry) => entry.job === "deploy" && environmentOf(entry)?.environment === "prod",
    );
    expect(prodDeploys.map((entry) => entry.name)).toEqual(["deploy-prod"]);
    for (const entry of prodDeploys) expect(upstreamOf(entry.name)).toContain("approve-deploy-prod");
  });

  it("asks for the prod approval only once the tests and the prod image have passed", () => {
    expect(job("approve-deploy-prod").requires).toEqual(expect.arrayContaining(["test", "push-image-prod"]));
  });

  it.each(["deploy-dev", "deploy-prod"])("serialises %s within this project, in a group of its own", (name) => {
    const group = job(name)["serial-group"];
    expect(group).toMatch(/^<< pipeline\.project\.slug >>\/\S+$/);
    const others = workflowJobs.filter((entry) => entry.name !== name).map((entry) => entry["serial-group"]);
    expect(others).not.toContain(group);
  });

  it("runs every job that calls AWS in its environment's context", () => {
    const entries = workflowJobs.filter((entry) => awsJobs.includes(entry.job));
    expect(entries.map((entry) => environmentOf(entry)?.environment).sort()).toEqual([
      "dev",
      "dev",
      "dev",
      "prod",
      "prod",
      "prod",
    ]);
    for (const entry of entries) {
      expect({ job: entry.name, context: [entry.context].flat() }).toEqual({
        job: entry.name,
        context: [`data-flows-${environmentOf(entry)!.environment}`],
      });
    }
  });

  it("lets only those allowed into the prod context approve a prod deploy", () => {
    expect([job("approve-deploy-prod").context].flat()).toEqual(["data-flows-prod"]);
  });

  it("runs the tests without any context, so every branch and fork can run them", () => {
    expect(job("test").context).toBeUndefined();
  });

  it("gets AWS credentials through OIDC, with no stored keys", () => {
    const assume = JSON.stringify(config.commands["assume-deploy-role"]);
    expect(assume).toContain("assume-role-with-web-identity");
    expect(assume).toContain("CIRCLE_OIDC_TOKEN_V2");
    expect(awsJobs.sort()).toEqual(["deploy", "push-image"]);
    expect(configText).not.toMatch(/AKIA[0-9A-Z]{16}/);
  });

  it.each(["deploy", "push-image"])("installs the AWS CLI in %s before it first calls AWS", (name) => {
    const steps = stepNames(name);
    expect(steps).toContain("install-aws-cli");
    expect(steps.indexOf("install-aws-cli")).toBeLessThan(steps.indexOf("assume-deploy-role"));
  });

  it("installs Terraform in the deploy job with the same command as in the test job", () => {
    expect(stepNames("deploy")).toContain("install-terraform");
    expect(stepNames("test")).toContain("install-terraform");
  });

  it("has Terraform validate and plan the synthesized stacks in the test job, after installing it", () => {
    const steps = JSON.stringify(config.jobs.test!.steps);
    const [install, validate] = positions(steps, ['"install-terraform"', "npm run validate:infra"]);
    expect(install).toBeGreaterThan(-1);
    expect(validate).toBeGreaterThan(install!);
  });

  it("pushes the image under the commit SHA and applies with that same tag", () => {
    expect(stepsText("push-image")).toContain(":${CIRCLE_SHA1}");
    expect(stepsText("deploy")).toContain(
      'npm run deploy -- << parameters.environment >> --image-tag \\"${CIRCLE_SHA1}\\"',
    );
  });

  it.each(Object.values(environments).map((env) => [env.environment, env] as const))(
    "targets the %s account, region, role and repository the stack config names",
    (name, env) => {
      const branchJobs = [job(`push-image-${name}`), job(`deploy-${name}`)];
      for (const entry of branchJobs) {
        expect(entry).toMatchObject({
          "account-id": env.accountId,
          region: env.region,
          "role-name": env.deployRoleName,
        });
      }
      expect(job(`push-image-${name}`).repository).toBe(imageRepositoryUri(env, "node"));
      expect(job(`push-python-image-${name}`).repository).toBe(imageRepositoryUri(env, "python"));
      expect(job(`deploy-${name}`).environment).toBe(name);
    },
  );

  it("pins the Terraform version the stacks require", () => {
    expect(config.parameters["terraform-version"]!.default).toBe(TERRAFORM_VERSION);
  });
});

describe("the verified installs", () => {
  const terraform = commandScript("install-terraform");
  const awsCli = commandScript("install-aws-cli");

  it("pins HashiCorp's signing key by its full fingerprint", () => {
    expect(terraform).toContain(`HASHICORP_KEY_FINGERPRINT=${HASHICORP_KEY}\n`);
  });

  it("pins the AWS CLI Team's signing key by its full fingerprint", () => {
    expect(awsCli).toContain(`AWS_CLI_KEY_FINGERPRINT=${AWS_CLI_KEY}\n`);
  });

  it.each([
    ["install-terraform", terraform],
    ["install-aws-cli", awsCli],
  ])("%s accepts a signature only when gpg verifies it and its signer's primary key is the pinned one", (_, script) => {
    expect(script).toContain('gpg --batch --status-fd 1 --verify "$2" "$3"');
    expect(script).toContain('grep -E "^\\[GNUPG:\\] VALIDSIG .* $1\\$"');
  });

  it("verifies HashiCorp's signature on the Terraform checksums before trusting them", () => {
    const steps = positions(terraform, [
      '"${base}/terraform_${version}_SHA256SUMS"',
      '"${base}/terraform_${version}_SHA256SUMS.sig"',
      'verify_signature "$HASHICORP_KEY_FINGERPRINT" "terraform_${version}_SHA256SUMS.sig" "terraform_${version}_SHA256SUMS"',
      'sha256sum -c --ignore-missing "terraform_${version}_SHA256SUMS"',
    ]);
    expect(steps).not.toContain(-1);
    expect(steps).toEqual(ascending(steps));
  });

  it("checks the Terraform zip against the signed checksums before unpacking it", () => {
    const steps = positions(terraform, [
      'sha256sum -c --ignore-missing "terraform_${version}_SHA256SUMS"',
      'unzip -o "terraform_${version}_linux_amd64.zip"',
    ]);
    expect(steps).not.toContain(-1);
    expect(steps).toEqual(ascending(steps));
  });

  it("verifies the AWS CLI installer's signature before unpacking or running it", () => {
    const steps = positions(awsCli, [
      "-o awscliv2.zip https://awscli.amazonaws.com/awscli-exe-linux-x86_64.zip\n",
      "-o awscliv2.sig https://awscli.amazonaws.com/awscli-exe-linux-x86_64.zip.sig\n",
      'verify_signature "$AWS_CLI_KEY_FINGERPRINT" awscliv2.sig awscliv2.zip',
      "unzip -q awscliv2.zip",
      "sudo ./aws/install",
    ]);
    expect(steps).not.toContain(-1);
    expect(steps).toEqual(ascending(steps));
  });

  it("fails the step on the first command that fails", () => {
    for (const script of [terraform, awsCli]) expect(script.startsWith("set -euo pipefail\n")).toBe(true);
  });
});

/** Runs shell from the config as CircleCI does (`bash -eo pipefail`), in a scratch directory. */
function runShell(script: string, env: Record<string, string>, cwd: string) {
  return spawnSync("bash", ["-eo", "pipefail", "-c", script], {
    cwd,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd, ...env },
    encoding: "utf8",
  });
}

describe("the signature check both installs run (with gpg and throwaway keys)", () => {
  const verifyFunction = (script: string) => /verify_signature\(\) \{[\s\S]*?\n\s*\}\n/.exec(script)?.[0] ?? "";
  let work: string;
  let gpgEnv: Record<string, string>;
  let pinned: string;
  const gpg = (...args: string[]) => {
    const result = spawnSync("gpg", ["--batch", "--passphrase", "", ...args], {
      cwd: work,
      env: { ...process.env, ...gpgEnv },
      encoding: "utf8",
    });
    if (result.status !== 0) throw new Error(`gpg ${args.join(" ")}: ${result.stderr}`);
    return result.stdout;
  };
  const primaryFingerprint = (uid: string) =>
    /^fpr:+([0-9A-F]{40}):/m.exec(gpg("--with-colons", "--list-keys", uid))![1]!;
  const verify = (fingerprint: string, signature: string, file: string) =>
    runShell(
      `${verifyFunction(commandScript("install-aws-cli"))}\nverify_signature ${fingerprint} ${signature} ${file}`,
      gpgEnv,
      work,
    );

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "data-flows-pipeline-gpg-"));
    gpgEnv = { GNUPGHOME: join(work, "gnupg") };
    mkdirSync(gpgEnv.GNUPGHOME!, { mode: 0o700 });
    // Like the vendors' keys: a certification-only primary key that signs releases with a subkey.
    gpg("--quick-generate-key", "Pinned Vendor <vendor@example.invalid>", "ed25519", "cert", "1d");
    pinned = primaryFingerprint("vendor@example.invalid");
    gpg("--quick-add-key", pinned, "ed25519", "sign", "1d");
    gpg("--quick-generate-key", "Someone Else <other@example.invalid>", "ed25519", "sign", "1d");
    writeFileSync(join(work, "release.zip"), "the release");
    gpg("--local-user", pinned, "--detach-sign", "-o", "by-vendor.sig", "release.zip");
    gpg("--local-user", "other@example.invalid", "--detach-sign", "-o", "by-other.sig", "release.zip");
    writeFileSync(join(work, "tampered.zip"), "the release, changed");
  });

  afterAll(() => {
    spawnSync("gpgconf", ["--kill", "gpg-agent"], { env: { ...process.env, ...gpgEnv } });
    rmSync(work, { recursive: true, force: true });
  });

  it("is the same in both installs", () => {
    expect(verifyFunction(commandScript("install-aws-cli"))).not.toBe("");
    expect(verifyFunction(commandScript("install-terraform"))).toBe(verifyFunction(commandScript("install-aws-cli")));
  });

  it("accepts a file signed by a subkey of the pinned key", () => {
    expect(verify(pinned, "by-vendor.sig", "release.zip")).toMatchObject({ status: 0 });
  });

  it("rejects a file signed by another key in the keyring", () => {
    const result = verify(pinned, "by-other.sig", "release.zip");
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`release.zip is not signed by ${pinned}`);
  });

  it("rejects a file changed after it was signed", () => {
    const result = verify(pinned, "by-vendor.sig", "tampered.zip");
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("gpg did not accept the signature on tampered.zip");
  });
});

describe("the flow images", () => {
  it.each(Object.values(environments).map((env) => [env.environment] as const))(
    "builds every image of contracts/flow-images.ts from its own Dockerfile before %s deploys",
    (name) => {
      const pushes = workflowJobs.filter((entry) => entry.job === "push-image" && entry.name.endsWith(`-${name}`));
      const defaultDockerfile = config.jobs["push-image"]!.parameters!.dockerfile!.default;
      expect(pushes.map((entry) => entry.dockerfile ?? defaultDockerfile).sort()).toEqual(
        Object.values(FLOW_IMAGES)
          .map((image) => image.dockerfile)
          .sort(),
      );
      for (const push of pushes) expect(job(`deploy-${name}`).requires).toContain(push.name);
    },
  );
});

describe("the image push", () => {
  /** The job's script as CircleCI runs it for one workflow entry, its parameters filled in (defaults included). */
  const scriptOf = (entry: string) =>
    (config.jobs["push-image"]!.steps.at(-1) as { run: { command: string } }).run.command.replace(
      /<< parameters\.([\w-]+) >>/g,
      (_, parameter: string) =>
        String(job(entry)[parameter] ?? config.jobs["push-image"]!.parameters![parameter]!.default),
    );
  const script = scriptOf("push-image-dev");
  let work: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "data-flows-pipeline-push-"));
    // Stand-ins that log their calls; `aws ecr describe-images` answers as $ECR_HAS_TAG says.
    writeFileSync(
      join(work, "aws"),
      [
        "#!/bin/bash",
        'echo "aws $*" >> "$CALLS"',
        'if [ "$1 $2" = "ecr describe-images" ]; then',
        '  case "$ECR_HAS_TAG" in',
        '    yes) echo "sha256:0123";;',
        "    no) echo 'An error occurred (ImageNotFoundException) when calling the DescribeImages operation' >&2; exit 254;;",
        "    *) echo 'An error occurred (AccessDeniedException) when calling the DescribeImages operation' >&2; exit 254;;",
        "  esac",
        "else echo password; fi",
      ].join("\n"),
    );
    writeFileSync(join(work, "docker"), '#!/bin/bash\necho "docker $*" >> "$CALLS"\ncat > /dev/null\n');
    chmodSync(join(work, "aws"), 0o755);
    chmodSync(join(work, "docker"), 0o755);
  });

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const push = (ecrHasTag: "yes" | "no" | "error", shell = script) => {
    const calls = join(work, `calls-${ecrHasTag}`);
    writeFileSync(calls, "");
    const result = runShell(
      shell,
      { PATH: `${work}:${process.env.PATH}`, CALLS: calls, ECR_HAS_TAG: ecrHasTag, CIRCLE_SHA1: "c0ffee" },
      work,
    );
    return { ...result, calls: readFileSync(calls, "utf8") };
  };

  it("asks ECR for the commit's tag in the job's repository", () => {
    expect(push("no").calls).toContain(
      "aws ecr describe-images --registry-id 111122223333 --region eu-west-1 --repository-name data-flows-dev --image-ids imageTag=c0ffee",
    );
  });

  it("skips the build and push, saying so, when ECR already holds the commit's tag", () => {
    const result = push("yes");
    expect(result.status).toBe(0);
    expect(result.calls).not.toContain("docker");
    expect(result.stdout).toContain(
      `${imageRepositoryUri(environments.dev, "node")}:c0ffee is already in ECR (sha256:0123); tags are immutable, so skipping the build and push.`,
    );
  });

  it("builds and pushes the image under the commit's tag when ECR does not hold it", () => {
    const result = push("no");
    expect(result.status).toBe(0);
    expect(result.calls).toContain(
      `docker build --file Dockerfile --tag ${imageRepositoryUri(environments.dev, "node")}:c0ffee .`,
    );
    expect(result.calls).toContain(`docker push ${imageRepositoryUri(environments.dev, "node")}:c0ffee`);
  });

  it("builds the Python image from Dockerfile.python into its own repository, under the same tag", () => {
    const result = push("no", scriptOf("push-python-image-dev"));
    expect(result.status).toBe(0);
    expect(result.calls).toContain(
      `docker build --file Dockerfile.python --tag ${imageRepositoryUri(environments.dev, "python")}:c0ffee .`,
    );
    expect(result.calls).toContain(`docker push ${imageRepositoryUri(environments.dev, "python")}:c0ffee`);
  });

  it("fails, building nothing, when ECR cannot be asked", () => {
    const result = push("error");
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("AccessDeniedException");
    expect(result.calls).not.toContain("docker");
  });
});
