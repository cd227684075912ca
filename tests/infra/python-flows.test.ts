import type { Instruction } from "dockerfile-ast";
import { DockerfileParser } from "dockerfile-ast";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { environments, namesOf } from "../../.aws/config";
import { MINIMUM_PYTHON, PYTHON_HELPER_DIR } from "../../contracts/flow-images";
import { FLOW_DEFINITIONS, loadRegistry } from "../../flows/index";
import { flowImageOf } from "../../flows/registry/flow-definition";
import { defineRegistry } from "../../flows/registry/flow-registry";
import type { TerraformJson } from "../support/synth";
import { policiesOfRole, referencedResource, resources, synthesizeStack, taskDefinitionOf } from "../support/synth";

const ROOT = join(__dirname, "..", "..");
const config = environments.dev;
const names = namesOf(config);
/** The shipped flows and a Python flow that declares secrets (none of the shipped Python flows needs any). */
const registry = defineRegistry([
  ...FLOW_DEFINITIONS,
  {
    name: "warehouse-py",
    description: "a Python load into Snowflake",
    owner: "@data-eng",
    run: { image: "python", command: ["python", "-m", "warehouse_load"] },
    secrets: ["SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER", "SNOWFLAKE_PRIVATE_KEY"],
    allowedHosts: ["*.snowflakecomputing.com"],
  },
]);
const pythonFlows = loadRegistry().flows.filter((flow) => flowImageOf(flow) === "python");

describe("a Python flow's task definition", () => {
  let terraform: TerraformJson;
  beforeAll(async () => {
    ({ terraform } = await synthesizeStack(config, registry));
  });
  const containerOf = (flow: string) => JSON.parse(taskDefinitionOf(terraform, flow).container_definitions)[0];
  const repositoryOf = (image: "node" | "python") =>
    resources(terraform, "aws_ecr_repository").find((repository) => repository.name === names.imageRepository(image));

  it("runs the Python image of this commit, from its own repository", () => {
    expect(repositoryOf("python")).toMatchObject({
      image_tag_mutability: "IMMUTABLE",
      image_scanning_configuration: { scan_on_push: true },
    });
    expect(containerOf("hello-python").image).toBe(
      "${aws_ecr_repository.flow_image_repository_python.repository_url}:${var.image_tag}",
    );
    expect(containerOf("hello-world").image).toBe(
      "${aws_ecr_repository.flow_image_repository.repository_url}:${var.image_tag}",
    );
  });

  it("runs the flow's command as its list of arguments", () => {
    expect(containerOf("hello-python").command).toEqual(["python", "flows/hello-python/main.py"]);
    expect(containerOf("warehouse-py").command).toEqual(["python", "-m", "warehouse_load"]);
    expect(containerOf("hello-world").command).toBeUndefined(); // the Node image's entrypoint runs the runtime
  });

  it("runs it as the non-root user on a read-only root filesystem, as every flow", () => {
    expect(containerOf("warehouse-py")).toMatchObject({ user: "1000:1000", readonlyRootFilesystem: true });
  });

  it("injects its declared secrets by valueFrom of their SSM parameters, never as values", () => {
    const container = containerOf("warehouse-py");
    expect(container.secrets).toEqual(
      ["SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER", "SNOWFLAKE_PRIVATE_KEY"].map((name) => ({
        name,
        valueFrom: `arn:aws:ssm:${config.region}:${config.accountId}:parameter${names.secretParameter(name)}`,
      })),
    );
    const variables = container.environment.map((entry: { name: string }) => entry.name);
    for (const secret of container.secrets) expect(variables).not.toContain(secret.name);
  });

  it("tells the container the names of its declared secrets, so a runtime in any language can check them", () => {
    expect(containerOf("warehouse-py").environment).toContainEqual({
      name: "DATA_FLOWS_SECRETS",
      value: "SNOWFLAKE_ACCOUNT,SNOWFLAKE_USER,SNOWFLAKE_PRIVATE_KEY",
    });
    expect(containerOf("hello-python").environment).toContainEqual({ name: "DATA_FLOWS_SECRETS", value: "" });
  });

  it("tells the container its allowedHosts, which the Python helper checks a URL from params against", () => {
    expect(containerOf("warehouse-py").environment).toContainEqual({
      name: "DATA_FLOWS_ALLOWED_HOSTS",
      value: "*.snowflakecomputing.com",
    });
    expect(containerOf("hello-python").environment).toContainEqual({ name: "DATA_FLOWS_ALLOWED_HOSTS", value: "" });
  });

  it("lets its execution role pull the Python repository only", () => {
    const ecr = policiesOfRole(terraform, taskDefinitionOf(terraform, "warehouse-py").execution_role_arn)
      .flatMap((policy) => policy.document.Statement)
      .filter((statement) => statement.Action.includes("ecr:BatchGetImage"));
    expect(ecr).toHaveLength(1);
    expect(ecr[0]!.Resource).toEqual(["${aws_ecr_repository.flow_image_repository_python.arn}"]);
  });

  it("gives a Node flow and a Python flow with the same secrets different execution roles", () => {
    const role = (flow: string) => taskDefinitionOf(terraform, flow).execution_role_arn;
    expect(role("hello-python")).not.toBe(role("hello-world"));
    expect(referencedResource(terraform, role("hello-python"))!.name).toBe(`${names.prefix}-flows-exec-python-none`);
  });

  it("gives a Python flow that keeps a watermark its own task role, as a Node one", () => {
    const role = referencedResource(terraform, taskDefinitionOf(terraform, "orders-load-py").task_role_arn);
    expect(role!.name).toBe(`${names.prefix}-flow-orders-load-py`);
  });
});

describe("the Python flow image (Dockerfile.python, final stage)", () => {
  const instructions = DockerfileParser.parse(readFileSync(join(ROOT, "Dockerfile.python"), "utf8")).getInstructions();
  const froms = instructions.filter((instruction) => instruction.getKeyword() === "FROM");
  const finalStage = instructions.slice(instructions.lastIndexOf(froms.at(-1)!));
  const find = (keyword: string): Instruction[] => finalStage.filter((i) => i.getKeyword() === keyword);
  const args = (instruction: Instruction) => instruction.getArguments().map((arg) => arg.getValue());
  const env = new Map(
    find("ENV").flatMap((instruction) => args(instruction).map((pair) => pair.split("=", 2) as [string, string])),
  );

  it(`starts from Python ${MINIMUM_PYTHON.major}.${MINIMUM_PYTHON.minor} or newer in every stage`, () => {
    for (const from of froms) {
      const [, major, minor] = /^python:(\d+)\.(\d+)/.exec(args(from)[0]!) ?? [];
      expect(Number(major) * 100 + Number(minor)).toBeGreaterThanOrEqual(
        MINIMUM_PYTHON.major * 100 + MINIMUM_PYTHON.minor,
      );
    }
  });

  it("runs as the unprivileged user the task definitions name", () => {
    expect(args(find("USER")[0]!)).toEqual(["1000:1000"]);
  });

  it("declares a world-writable /tmp volume, the only writable path on the read-only root", () => {
    expect(find("RUN").some((instruction) => /chmod 1777 \/tmp/.test(instruction.getTextContent()))).toBe(true);
    expect(find("VOLUME").flatMap((volume) => JSON.parse(args(volume).join(" ")) as string[])).toContain("/tmp");
  });

  it("puts the data_flows helper on the path, writes no bytecode beside the code and never buffers log lines", () => {
    expect(env.get("PYTHONPATH")).toBe(`/app/${PYTHON_HELPER_DIR}`);
    expect(env.get("PYTHONDONTWRITEBYTECODE")).toBe("1");
    expect(env.get("PYTHONUNBUFFERED")).toBe("1");
  });

  it.each(pythonFlows.map((flow) => [flow.name, flow.run!.command] as const))(
    "holds the script %s runs (%j), copied from flows/ with its layout, with no entrypoint in front of it",
    (_, command) => {
      const script = command.find((arg) => arg.endsWith(".py"))!;
      expect(script.startsWith("flows/")).toBe(true);
      expect(existsSync(join(ROOT, script))).toBe(true);
      expect(find("ENTRYPOINT")).toEqual([]);
      expect(args(find("WORKDIR")[0]!)).toEqual(["/app"]);
    },
  );
});
