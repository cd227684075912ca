import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadRegistry } from "../../flows/index";

const registry = loadRegistry();
import type { Run } from "../../lambdas/core/run";
import { RunState } from "../../lambdas/core/run-state";
import type { LocalControlPlane } from "../../local/control-plane";
import { startLocalControlPlane } from "../../local/control-plane";
import { runCliCapturing } from "../support/cli";
import { startDbtCloudServer } from "../support/dbt-cloud-server";
import { startSlackServer } from "../support/slack-server";
import { ecsEvent, FIXTURE_CLUSTER_ARN } from "../support/fixtures";
import { newRun } from "../support/runs";

/** The control plane `npm start` runs, in this process, with flows run as real child processes. */
describe("local control plane, end to end", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "data-flows-e2e-"));
  const console: string[] = [];
  let plane: LocalControlPlane;
  let slack: Awaited<ReturnType<typeof startSlackServer>>;
  let dbt: Awaited<ReturnType<typeof startDbtCloudServer>>;
  /** The control plane's clock runs this far ahead, to reach a deadline without waiting for it. */
  let aheadMs = 0;

  const start = (extraEnv: Record<string, string> = {}) =>
    startLocalControlPlane({
      registry,
      dataDir,
      persist: true,
      apiPort: 0,
      dynamoPort: 0,
      schedule: false,
      reaperIntervalMs: 0,
      workdir: resolve(__dirname, "..", ".."),
      // The test setup silences Powertools; flows must log as they do under npm start.
      hostEnv: { ...process.env, POWERTOOLS_LOG_LEVEL: "INFO", SLACK_WEBHOOK_URL: slack.url, ...extraEnv },
      now: () => new Date(Date.now() + aheadMs),
      write: (line) => console.push(line),
      colour: false,
    });

  const cli = (...argv: string[]) => runCliCapturing(argv, { dataDir, registry });

  beforeAll(async () => {
    slack = await startSlackServer();
    dbt = await startDbtCloudServer({ accountId: "1", token: "local-dbt-token" });
    dbt.jobs.set("42", { statuses: [3, 10] });
    plane = await start();
  });
  afterAll(async () => {
    await plane.stop();
    await slack.close();
    await dbt.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("runs the credential-free flow to SUCCEEDED and exits 0", async () => {
    const result = await cli("run", "hello-world", "--wait", "--json");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toMatchObject({ state: RunState.SUCCEEDED, exitCode: 0 });
  });

  it("runs it with fail=true to FAILED with exit code 1, and exits 1", async () => {
    const result = await cli("run", "hello-world", "--param", "fail=true", "--wait", "--json");
    expect(result.code).toBe(1);
    expect(JSON.parse(result.out)).toMatchObject({ state: RunState.FAILED, exitCode: 1, params: { fail: "true" } });
  });

  it("records the full history the ECS-shaped events drove", async () => {
    const { out } = await cli("runs", "--state", "SUCCEEDED", "--limit", "1", "--json");
    const [run] = JSON.parse(out) as Run[];
    // STARTING comes from the launcher or from the PROVISIONING event, whichever is recorded first.
    expect(run!.history.map((entry) => entry.state)).toEqual(["PENDING", "STARTING", "RUNNING", "SUCCEEDED"]);
    expect(run!.history.at(-1)).toMatchObject({ source: "recorder", exitCode: 0, taskVersion: 5 });
  });

  it("writes each task's output to its own log file", async () => {
    const { out } = await cli("runs", "--state", "SUCCEEDED", "--limit", "1", "--json");
    const [run] = JSON.parse(out) as Run[];
    const taskId = run!.taskArn!.split("/").pop()!;
    expect(readFileSync(join(dataDir, "logs", "hello-world", `${taskId}.log`), "utf8")).toContain(
      "hello from step 3 of 3",
    );
  });

  it("posts exactly one Slack message for the failed attempt, and none for the success", () => {
    expect(slack.received.map((message) => message.text)).toEqual([
      expect.stringMatching(/^:red_circle: hello-world failed in local, run hello-world\/m\S+, attempt 1 of 1, exit 1/),
    ]);
  });

  it("prints each transition on the console", () => {
    expect(console.some((line) => /hello-world\/m\S+ {2}attempt 1\/1 {2}RUNNING → FAILED {2}\(exit 1/.test(line))).toBe(
      true,
    );
  });

  it("answers an unknown flow with a clear error and exit code 2", async () => {
    const result = await cli("run", "no-such-flow");
    expect(result).toMatchObject({
      code: 2,
      err: `data-flows: unknown flow "no-such-flow"; known flows: ${registry.names.join(", ")}`,
    });
  });

  it("keeps the history across a restart", async () => {
    const before = JSON.parse((await cli("runs", "--json")).out) as Run[];
    await plane.stop();
    expect(existsSync(join(dataDir, "local.json"))).toBe(false);
    plane = await start();
    const after = JSON.parse((await cli("runs", "--json")).out) as Run[];
    expect(after.map((run) => `${run.runId} ${run.state}`)).toEqual(before.map((run) => `${run.runId} ${run.state}`));
    expect(after).toHaveLength(2);
  });

  it("shows one run with its history", async () => {
    const [run] = JSON.parse((await cli("runs", "--limit", "1", "--json")).out) as Run[];
    const result = await cli("show", run!.runId);
    expect(result.out).toContain(`run:           ${run!.runId}`);
    expect(result.out).toMatch(/history:\n +AT +STATE/);
  });

  it("replays captured ECS events through the recorder, reporting each rejected line", async () => {
    await plane.runs.create(newRun());
    const lines = [
      JSON.stringify(ecsEvent("task-provisioning")),
      JSON.stringify(ecsEvent("task-running")),
      "{not json",
      JSON.stringify(ecsEvent("task-running")),
      JSON.stringify(ecsEvent("task-stopped-exit-0")),
    ];
    const file = join(dataDir, "events.jsonl");
    writeFileSync(file, `${lines.join("\n")}\n`);
    const result = await cli("events", "replay", file, "--cluster", FIXTURE_CLUSTER_ARN);
    expect(result.code).toBe(1);
    expect(result.out).toContain("line 3: rejected:");
    expect(result.out).toContain("replayed: applied 3, rejected 1, ignored:duplicate 1");
    expect(await plane.runs.get(newRun().runId)).toMatchObject({ state: RunState.SUCCEEDED, exitCode: 0 });
  });

  it("retries a failed attempt and ends SUCCEEDED on attempt 2", async () => {
    const result = await cli("run", "flaky-demo", "--wait", "--json");
    expect(result.code).toBe(0);
    const run = JSON.parse(result.out) as Run;
    expect(run).toMatchObject({ state: RunState.SUCCEEDED, attempt: 2, maxAttempts: 2 });
    expect(run.history.map((entry) => `${entry.attempt}:${entry.state}`)).toEqual([
      "1:PENDING",
      "1:STARTING",
      "1:RUNNING",
      "1:RETRYING",
      "2:PENDING",
      "2:STARTING",
      "2:RUNNING",
      "2:SUCCEEDED",
    ]);
  });

  it("fails the dbt flow without credentials, with a configuration error naming the missing parameter", async () => {
    const result = await cli("run", "dbt-nightly", "--wait", "--json");
    expect(result.code).toBe(1);
    expect(JSON.parse(result.out)).toMatchObject({
      state: RunState.FAILED,
      attempt: 1,
      exitCode: 78,
      reason: expect.stringContaining("create SSM parameter /DataFlows/Local/DBT_CLOUD_TOKEN"),
    });
  });

  it("runs the dbt flow to success with DBT_CLOUD_* pointing at a dbt Cloud stand-in", async () => {
    await plane.stop();
    plane = await start({ DBT_CLOUD_TOKEN: "local-dbt-token", DBT_CLOUD_ACCOUNT_ID: "1" });
    const result = await cli(
      "run",
      "dbt-nightly",
      "--param",
      `dbt_cloud_host=${dbt.url}`,
      "--param",
      "job_id=42",
      "--param",
      "poll_seconds=0.05",
      "--wait",
      "--json",
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toMatchObject({ state: RunState.SUCCEEDED, exitCode: 0 });
    expect(dbt.requests[0]).toMatchObject({ method: "POST", path: "/api/v2/accounts/1/jobs/42/run/" });
  });

  it("stops a run past its timeout: TIMED_OUT, and the flow process is gone", async () => {
    const started = await cli("run", "timeout-demo", "--json");
    const { runId } = JSON.parse(started.out) as { runId: string };
    await waitFor(async () => (await plane.runs.get(runId))?.state === RunState.RUNNING);
    aheadMs = 2 * 60_000;
    expect((await plane.reapRuns()).timedOut).toEqual([runId]);
    const run = (await plane.runs.get(runId))!;
    expect(run).toMatchObject({ state: RunState.TIMED_OUT, reason: expect.stringContaining("1-minute timeout") });
    const taskStatus = async () => {
      const lookup = (await plane.runner.describeTasks([run.taskArn!])).get(run.taskArn!);
      return lookup?.found ? lookup.task : undefined;
    };
    await waitFor(async () => (await taskStatus())?.lastStatus === "STOPPED");
    expect(await taskStatus()).toMatchObject({
      lastStatus: "STOPPED",
      stopCode: "UserInitiated",
      containers: [{ exitCode: 143 }],
    });
    expect((await plane.runs.get(runId))?.state).toBe(RunState.TIMED_OUT);
    aheadMs = 0;
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const giveUp = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > giveUp) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
