import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { FlowInput } from "../../flows/registry/flow-definition";
import { defineRegistry } from "../../flows/registry/flow-registry";
import type { TaskRequest } from "../../lambdas/core/ports";
import { environmentNames } from "../../contracts/resource-names";
import type { TaskObservation } from "../../lambdas/core/task-observation";
import { outcomeOf } from "../../lambdas/core/task-observation";
import { parseTaskStateChange } from "../../lambdas/handlers/ecs-task-event";
import { ProcessTaskRunner } from "../../local/process-task-runner";

const node = process.execPath;
const flow = (name: string, command: string[], extra: Partial<FlowInput> = {}): FlowInput => ({
  name,
  description: "test flow",
  owner: "@test",
  run: { image: "node", command },
  ...extra,
});
const registry = defineRegistry([
  flow("exits-3", [node, "-e", "process.exit(3)"]),
  flow("prints-env", [node, "-e", "console.log(JSON.stringify(process.env))"], { secrets: ["DBT_CLOUD_TOKEN"] }),
  flow("sleeps", [node, "-e", "process.on('SIGTERM', () => process.exit(143)); setTimeout(() => {}, 60000)"]),
  flow("missing-binary", ["/nonexistent/flow-binary"]),
]);

describe("ProcessTaskRunner (local ECS stand-in)", () => {
  const logsDir = mkdtempSync(join(tmpdir(), "data-flows-runner-"));
  let delivered: TaskObservation[];
  let output: string[];
  let runner: ProcessTaskRunner;

  beforeEach(() => {
    delivered = [];
    output = [];
    runner = new ProcessTaskRunner({
      registry,
      cluster: { region: "local", account: "000000000000", name: "data-flows-local" },
      names: environmentNames("local", "Local"),
      workdir: resolve(__dirname, "..", ".."),
      logsDir,
      deliver: async (event) => void delivered.push(parseTaskStateChange(event)),
      onOutput: ({ text }) => output.push(text),
      hostEnv: { PATH: process.env.PATH, DBT_CLOUD_TOKEN: "dbt-token", SNOWFLAKE_USER: "not-declared" },
    });
  });
  afterAll(() => rmSync(logsDir, { recursive: true, force: true }));

  const request = (flowName: string, overrides: Partial<TaskRequest> = {}): TaskRequest => ({
    flow: flowName,
    runId: `${flowName}/20260302T1000Z`,
    attempt: 1,
    params: { day: "2026-03-01" },
    dataInterval: { start: "2026-03-02T09:00:00.000Z", end: "2026-03-02T10:00:00.000Z" },
    clientToken: `${flowName}/20260302T1000Z#1`,
    startedBy: `df/${flowName}`,
    ...overrides,
  });
  const stopped = async () => {
    await runner.settled();
    return delivered.at(-1)!;
  };

  it("emits ECS-shaped events with strictly increasing versions, ending STOPPED", async () => {
    await runner.runTask(request("exits-3"));
    await stopped();
    expect(delivered.map((event) => event.lastStatus)).toEqual([
      "PROVISIONING",
      "PENDING",
      "RUNNING",
      "DEPROVISIONING",
      "STOPPED",
    ]);
    expect(delivered.map((event) => event.version)).toEqual([1, 2, 3, 4, 5]);
  });

  it("reports the process exit code as the flow container's", async () => {
    await runner.runTask(request("exits-3"));
    expect(outcomeOf(await stopped())).toMatchObject({
      state: "FAILED",
      exitCode: 3,
      stopCode: "EssentialContainerExited",
    });
  });

  it("carries the run id and attempt overrides so the recorder can match the task", async () => {
    await runner.runTask(request("exits-3", { attempt: 2 }));
    expect((await stopped()).run).toEqual({ runId: "exits-3/20260302T1000Z", attempt: 2 });
  });

  it("starts one task per client token, as RunTask does", async () => {
    const first = await runner.runTask(request("exits-3"));
    const second = await runner.runTask(request("exits-3"));
    await stopped();
    expect(second).toEqual(first);
    expect(delivered.filter((event) => event.lastStatus === "STOPPED")).toHaveLength(1);
  });

  it("gives the container only the secrets its flow declares, plus the task variables", async () => {
    await runner.runTask(request("prints-env"));
    await stopped();
    const env = JSON.parse(output.find((line) => line.startsWith("{"))!) as Record<string, string>;
    expect(env).toMatchObject({
      DBT_CLOUD_TOKEN: "dbt-token",
      DATA_FLOWS_FLOW: "prints-env",
      DATA_FLOWS_ENV: "Local",
      DATA_FLOWS_RUN_ID: "prints-env/20260302T1000Z",
      DATA_FLOWS_ATTEMPT: "1",
      DATA_FLOWS_PARAMS: '{"day":"2026-03-01"}',
    });
    expect(env).not.toHaveProperty("SNOWFLAKE_USER");
  });

  it("stops a task like StopTask: SIGTERM, then STOPPED with UserInitiated and the reason", async () => {
    const { taskArn } = (await runner.runTask(request("sleeps"))) as { taskArn: string };
    while (!delivered.some((event) => event.lastStatus === "RUNNING")) await new Promise((r) => setTimeout(r, 20));
    await runner.stopTask(taskArn, "Task timed out after 1 minutes");
    const last = await stopped();
    expect(outcomeOf(last)).toMatchObject({ state: "CANCELLED", exitCode: 143, stopCode: "UserInitiated" });
    expect(last.stoppedReason).toBe("Task timed out after 1 minutes");
  });

  it("reports a container that cannot start as TaskFailedToStart with no exit code", async () => {
    await runner.runTask(request("missing-binary"));
    const last = await stopped();
    expect(last).toMatchObject({ lastStatus: "STOPPED", stopCode: "TaskFailedToStart" });
    expect(last.containers[0]!.exitCode).toBeUndefined();
    expect(delivered.map((event) => event.lastStatus)).not.toContain("RUNNING");
  });
});
