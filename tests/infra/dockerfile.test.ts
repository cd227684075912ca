import type { Instruction } from "dockerfile-ast";
import { DockerfileParser } from "dockerfile-ast";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { environments } from "../../.aws/config";
import { loadRegistry } from "../../flows/index";
import type { TerraformJson } from "../support/synth";
import { resources, synthesizeStack } from "../support/synth";

/** The Dockerfile as Docker reads it (dockerfile-ast), and its last stage: the image ECS runs. */
const dockerfile = DockerfileParser.parse(readFileSync(join(__dirname, "..", "..", "Dockerfile"), "utf8"));
const instructions = dockerfile.getInstructions();
const lastFrom = instructions.map((instruction) => instruction.getKeyword()).lastIndexOf("FROM");
const finalStage = instructions.slice(lastFrom);
const find = (keyword: string): Instruction[] => finalStage.filter((i) => i.getKeyword() === keyword);
const args = (instruction: Instruction) => instruction.getArguments().map((arg) => arg.getValue());

describe("the flow image (Dockerfile, final stage)", () => {
  let terraform: TerraformJson;
  beforeAll(async () => {
    ({ terraform } = await synthesizeStack(environments.dev, loadRegistry()));
  });

  it("declares /tmp a volume, so a task volume mounted there takes the image's mode and the flow can write to it", () => {
    const volumes = find("VOLUME").flatMap((volume) => JSON.parse(args(volume).join(" ")) as string[]);
    expect(volumes).toContain("/tmp");
  });

  it("makes /tmp world-writable with the sticky bit before declaring the volume", () => {
    const run = find("RUN").find((instruction) => /chmod 1777 \/tmp/.test(instruction.getTextContent()));
    expect(run).toBeDefined();
    expect(finalStage.indexOf(run!)).toBeLessThan(finalStage.indexOf(find("VOLUME")[0]!));
  });

  it("runs as the unprivileged user the task definitions name", async () => {
    const [user] = find("USER");
    const definitions = resources(terraform, "aws_ecs_task_definition").map(
      (definition) => JSON.parse(definition.container_definitions)[0],
    );
    for (const container of definitions) expect(container.user).toBe(args(user!)[0]);
    expect(args(user!)[0]).not.toMatch(/^(0|root)(:|$)/);
  });

  it("mounts a task volume at /tmp in every task definition (the only writable path on a read-only root)", async () => {
    for (const definition of resources(terraform, "aws_ecs_task_definition")) {
      const [container] = JSON.parse(definition.container_definitions);
      expect(container.readonlyRootFilesystem).toBe(true);
      expect(container.mountPoints).toEqual([{ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false }]);
    }
  });
});
