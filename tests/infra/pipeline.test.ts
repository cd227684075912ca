import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { environments, imageRepositoryUri, TERRAFORM_VERSION } from "../../.aws/config";

interface WorkflowJob {
  name?: string;
  requires?: string[];
  filters?: { branches?: { only?: string | string[]; ignore?: string | string[] } };
  "serial-group"?: string;
  [parameter: string]: unknown;
}

const config = parse(readFileSync(join(__dirname, "..", "..", ".circleci", "config.yml"), "utf8")) as {
  parameters: Record<string, { default: string }>;
  commands: Record<string, { steps: unknown[] }>;
  jobs: Record<string, { steps: unknown[] }>;
  workflows: Record<string, { jobs: (string | Record<string, WorkflowJob>)[] }>;
};
/** Each workflow job by its name, with the job type it instantiates. */
const workflowJobs = Object.values(config.workflows).flatMap((workflow) =>
  workflow.jobs.map((entry) => {
    if (typeof entry === "string") return { type: entry, name: entry } as WorkflowJob & { type: string; name: string };
    const [type, settings] = Object.entries(entry)[0]!;
    return { ...settings, type, name: settings.name ?? type };
  }),
);
const job = (name: string) => workflowJobs.find((candidate) => candidate.name === name)!;
const branchesOf = (name: string) => job(name).filters?.branches?.only;
const stepsText = (name: string) => JSON.stringify(config.jobs[name]!.steps);

describe("the CircleCI pipeline", () => {
  it("defines every job the workflow uses", () => {
    for (const { type } of workflowJobs) expect(Object.keys(config.jobs)).toContain(type);
  });

  it("requires only jobs that exist", () => {
    const names = workflowJobs.map((entry) => entry.name);
    for (const entry of workflowJobs) for (const required of entry.requires ?? []) expect(names).toContain(required);
  });

  it("tests every branch", () => {
    expect(job("test").filters).toBeUndefined();
    expect(stepsText("test")).toContain("npm test");
  });

  it("deploys dev only from the dev branch and prod only from main", () => {
    expect(branchesOf("deploy-dev")).toBe("dev");
    expect(branchesOf("push-image-dev")).toBe("dev");
    expect(branchesOf("deploy-prod")).toBe("main");
    expect(branchesOf("push-image-prod")).toBe("main");
  });

  it("never deploys or pushes an image before the tests pass", () => {
    for (const name of ["push-image-dev", "deploy-dev", "push-image-prod", "deploy-prod"]) {
      expect(job(name).requires).toContain("test");
    }
    expect(job("deploy-dev").requires).toContain("push-image-dev");
    expect(job("deploy-prod").requires).toContain("push-image-prod");
  });

  it("serialises prod deploys", () => {
    expect(job("deploy-prod")["serial-group"]).toBeDefined();
  });

  it("gets AWS credentials through OIDC, with no stored keys", () => {
    const assume = JSON.stringify(config.commands["assume-deploy-role"]);
    expect(assume).toContain("assume-role-with-web-identity");
    expect(assume).toContain("CIRCLE_OIDC_TOKEN_V2");
    for (const name of ["push-image", "deploy"]) expect(stepsText(name)).toContain("assume-deploy-role");
    expect(readFileSync(join(__dirname, "..", "..", ".circleci", "config.yml"), "utf8")).not.toMatch(
      /AKIA[0-9A-Z]{16}/,
    );
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
      expect(job(`push-image-${name}`).repository).toBe(imageRepositoryUri(env));
      expect(job(`deploy-${name}`).environment).toBe(name);
    },
  );

  it("pins the Terraform version the stacks require", () => {
    expect(config.parameters["terraform-version"]!.default).toBe(TERRAFORM_VERSION);
  });
});
