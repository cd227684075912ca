import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { environmentNames } from "../../contracts/resource-names";
import { stopTimeoutSeconds } from "../../contracts/task-environment";
import type { FlowInput } from "../../flows/registry/flow-definition";
import { defineRegistry } from "../../flows/registry/flow-registry";
import type { TaskRequest } from "../../lambdas/core/ports";
import type { TaskObservation } from "../../lambdas/core/task-observation";
import { parseTaskStateChange } from "../../lambdas/handlers/ecs-task-event";
import type { ProcessTaskRunnerOptions } from "../../local/process-task-runner";
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
  flow("prints-env", [node, "-e", "console.log(JSON.stringify(process.env))"], { secrets: ["DBT_CLOUD_TOKEN"] }),
  flow("prints-env-long", [node, "-e", "console.log(JSON.stringify(process.env))"], { timeoutMinutes: 60 }),
  flow("prints-pgid", [
    node,
    "-e",
    "console.log(require('node:child_process').execFileSync('ps', ['-o', 'pgid=', '-p', String(process.pid)], { encoding: 'utf8' }).trim())",
  ]),
  // A flow that starts a process of its own and waits for it, as a flow shelling out to dbt or psql would.
  flow("has-a-child", [
    node,
    "-e",
    "require('node:child_process').spawn('sleep', ['30'], { stdio: 'ignore' }); console.log('started')",
  ]),
  flow("ignores-sigterm", [
    node,
    "-e",
    "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)",
  ]),
]);

/**
 * The local ECS stand-in on requests and environments that are wrong or hostile: nothing a launch request carries may
 * crash `npm start`, and a flow process sees only what its container would see in ECS.
 */
describe("ProcessTaskRunner, hardened", () => {
  const logsDir = mkdtempSync(join(tmpdir(), "data-flows-runner-hardening-"));
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  let delivered: TaskObservation[];
  let output: string[];

  beforeAll(() => process.on("unhandledRejection", onUnhandled));
  afterAll(() => {
    process.off("unhandledRejection", onUnhandled);
    rmSync(logsDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    delivered = [];
    output = [];
    unhandled.length = 0;
  });

  const runnerWith = (options: Partial<ProcessTaskRunnerOptions> = {}) =>
    new ProcessTaskRunner({
      registry,
      cluster: { region: "local", account: "000000000000", name: "data-flows-local" },
      names: environmentNames("local", "Local"),
      workdir: resolve(__dirname, "..", ".."),
      logsDir,
      deliver: async (event) => void delivered.push(parseTaskStateChange(event)),
      onOutput: ({ text }) => output.push(text),
      hostEnv: { PATH: process.env.PATH },
      ...options,
    });
  const request = (flowName: string, overrides: Partial<TaskRequest> = {}): TaskRequest => ({
    flow: flowName,
    runId: `${flowName}/20260302T1000Z`,
    attempt: 1,
    params: {},
    dataInterval: { start: "2026-03-02T09:00:00.000Z", end: "2026-03-02T10:00:00.000Z" },
    clientToken: `${flowName}/20260302T1000Z#1`,
    startedBy: `df/${flowName}`,
    ...overrides,
  });
  const whenPrinted = async (text: string) => {
    while (!output.includes(text)) await new Promise((r) => setTimeout(r, 20));
  };

  describe("a spawn that cannot happen is a task that failed to start, and nothing else", () => {
    it.each([
      ["a NUL byte in the run id", {}, { runId: "prints-env/2026\u0000x" }],
      [
        "a NUL byte in a declared secret's value",
        { hostEnv: { PATH: process.env.PATH, DBT_CLOUD_TOKEN: "a\u0000b" } },
        {},
      ],
    ])("%s", async (_case, options: Partial<ProcessTaskRunnerOptions>, overrides: Partial<TaskRequest>) => {
      const runner = runnerWith(options);
      await expect(runner.runTask(request("prints-env", overrides))).resolves.toMatchObject({ ok: true });
      await expect(runner.settled()).resolves.toBeUndefined();
      expect(delivered.map((event) => event.lastStatus)).toEqual(["PROVISIONING", "PENDING", "STOPPED"]);
      expect(delivered.at(-1)).toMatchObject({
        stopCode: "TaskFailedToStart",
        stoppedReason: expect.stringMatching(/^CannotStartContainerError: .+/),
      });
      expect(delivered.at(-1)!.containers[0]!.exitCode).toBeUndefined();
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
    });

    it("a log folder that cannot be written", async () => {
      const notAFolder = join(logsDir, "a-file");
      writeFileSync(notAFolder, "");
      const runner = runnerWith({ logsDir: notAFolder });
      await runner.runTask(request("prints-env"));
      await expect(runner.settled()).resolves.toBeUndefined();
      expect(delivered.at(-1)).toMatchObject({ lastStatus: "STOPPED", stopCode: "TaskFailedToStart" });
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
    });

    it("an event consumer that fails does not stop the task or escape the runner", async () => {
      const runner = runnerWith({
        deliver: async (event) => {
          delivered.push(parseTaskStateChange(event));
          throw new Error("recorder unavailable");
        },
      });
      await runner.runTask(request("prints-env"));
      await expect(runner.settled()).resolves.toBeUndefined();
      expect(delivered.map((event) => event.lastStatus)).toEqual([
        "PROVISIONING",
        "PENDING",
        "RUNNING",
        "DEPROVISIONING",
        "STOPPED",
      ]);
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
    });
  });

  it("gives a flow a minimal environment: no host credentials, no undeclared secret, the declared one", async () => {
    const runner = runnerWith({
      hostEnv: {
        PATH: process.env.PATH,
        HOME: "/home/dev",
        USER: "dev",
        LANG: "en_GB.UTF-8",
        LC_ALL: "en_GB.UTF-8",
        LC_TIME: "en_GB.UTF-8",
        TZ: "Europe/London",
        TMPDIR: "/tmp/dev",
        POWERTOOLS_LOG_LEVEL: "DEBUG",
        AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
        AWS_SECRET_ACCESS_KEY: "host-aws-secret",
        AWS_SESSION_TOKEN: "host-session",
        AWS_PROFILE: "prod-admin",
        SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/secret",
        GITHUB_TOKEN: "ghp_secret",
        NODE_OPTIONS: "--require ./something.js",
        DATA_FLOWS_PORT: "4710",
        SNOWFLAKE_USER: "not-declared",
        DBT_CLOUD_TOKEN: "dbt-token",
      },
    });
    await runner.runTask(request("prints-env", { params: { day: "2026-03-01" } }));
    await runner.settled();
    const env = JSON.parse(output.find((line) => line.startsWith("{"))!) as Record<string, string>;
    const { DATA_FLOWS_STOP_TIMEOUT_SECONDS, ...rest } = env;
    expect(DATA_FLOWS_STOP_TIMEOUT_SECONDS).toMatch(/^\d+$/);
    expect(rest).toEqual({
      PATH: process.env.PATH,
      HOME: "/home/dev",
      USER: "dev",
      LANG: "en_GB.UTF-8",
      LC_ALL: "en_GB.UTF-8",
      LC_TIME: "en_GB.UTF-8",
      TZ: "Europe/London",
      TMPDIR: "/tmp/dev",
      POWERTOOLS_LOG_LEVEL: "DEBUG",
      DBT_CLOUD_TOKEN: "dbt-token",
      DATA_FLOWS_SECRETS: "DBT_CLOUD_TOKEN",
      DATA_FLOWS_ALLOWED_HOSTS: "",
      DATA_FLOWS_FLOW: "prints-env",
      DATA_FLOWS_ENV: "Local",
      DATA_FLOWS_RUN_ID: "prints-env/20260302T1000Z",
      DATA_FLOWS_ATTEMPT: "1",
      DATA_FLOWS_PARAMS: '{"day":"2026-03-01"}',
      DATA_FLOWS_INTERVAL_START: "2026-03-02T09:00:00.000Z",
      DATA_FLOWS_INTERVAL_END: "2026-03-02T10:00:00.000Z",
    });
  });

  it("gives a flow the stop timeout its task definition has (5 % of its timeout, 30 s to 120 s)", async () => {
    const runner = runnerWith();
    await runner.runTask(request("prints-env-long"));
    await runner.settled();
    const env = JSON.parse(output.find((line) => line.startsWith("{"))!) as Record<string, string>;
    expect(env.DATA_FLOWS_STOP_TIMEOUT_SECONDS).toBe(String(stopTimeoutSeconds(60)));
    expect(stopTimeoutSeconds(60)).toBe(120);
  });

  describe("a flow stops only when the control plane stops it, as a container does", () => {
    it("runs in a process group of its own, so a Ctrl-C typed at `npm start` reaches the control plane only", async () => {
      const runner = runnerWith();
      await runner.runTask(request("prints-pgid"));
      await runner.settled();
      const ownGroup = execFileSync("ps", ["-o", "pgid=", "-p", String(process.pid)], { encoding: "utf8" }).trim();
      const flowGroup = output.find((line) => /^\s*\d+\s*$/.test(line))?.trim();
      expect(flowGroup).toMatch(/^\d+$/);
      expect(flowGroup).not.toBe(ownGroup);
    });

    it("stops the flow's own processes with it", async () => {
      const runner = runnerWith();
      const { taskArn } = (await runner.runTask(request("has-a-child"))) as { taskArn: string };
      await whenPrinted("started");
      const stoppingAt = Date.now();
      await runner.stopTask(taskArn, "Stopped by the test");
      await runner.settled();
      expect(Date.now() - stoppingAt).toBeLessThan(5_000);
      expect(delivered.at(-1)).toMatchObject({ lastStatus: "STOPPED", stopCode: "UserInitiated" });
    });

    it("stops a task asked to stop before its process started (Ctrl-C just as it launched): it never runs", async () => {
      const runner = runnerWith();
      const { taskArn } = (await runner.runTask(request("has-a-child"))) as { taskArn: string };
      await runner.stopTask(taskArn, "Local control plane shutting down");
      const stoppingAt = Date.now();
      await runner.close();
      expect(Date.now() - stoppingAt).toBeLessThan(5_000);
      expect(delivered.map((event) => event.lastStatus)).not.toContain("RUNNING");
      expect(delivered.at(-1)).toMatchObject({
        lastStatus: "STOPPED",
        stopCode: "UserInitiated",
        stoppedReason: "Local control plane shutting down",
      });
    });

    it("kills a flow that ignores SIGTERM once the stop timeout has passed, as ECS does (exit 137)", async () => {
      const runner = runnerWith({ stopTimeoutMs: 300 });
      const { taskArn } = (await runner.runTask(request("ignores-sigterm"))) as { taskArn: string };
      await whenPrinted("ready");
      await runner.stopTask(taskArn, "Stopped by the test");
      await runner.settled();
      expect(delivered.at(-1)).toMatchObject({ lastStatus: "STOPPED", stopCode: "UserInitiated" });
      expect(delivered.at(-1)!.containers[0]!.exitCode).toBe(137);
    });
  });
});
