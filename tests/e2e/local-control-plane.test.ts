import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadRegistry } from "../../flows/index";

const registry = loadRegistry();
import type { Run } from "../../lambdas/core/run";
import { RunState } from "../../contracts/run-states";
import type { LocalControlPlane } from "../../local/control-plane";
import { startLocalControlPlane } from "../../local/control-plane";
import { runCliCapturing } from "../support/cli";
import { startDbtCloudServer } from "../support/dbt-cloud-server";
import { startSlackServer } from "../support/slack-server";
import { ecsEvent, FIXTURE_CLUSTER_ARN } from "../support/fixtures";
import { newRun } from "../support/runs";

/**
 * The control plane `npm start` runs, in this process, with flows run as real child processes.
 *
 * One control plane serves the whole file (it is expensive to start), but every test stands alone: it starts the runs
 * it asserts on and finds them, their log files, console lines and Slack posts by their own run ids. A test that
 * restarts the plane or moves its clock is put back by afterEach.
 */
describe("local control plane, end to end", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "data-flows-e2e-"));
  const console: string[] = [];
  let plane: LocalControlPlane;
  /** How the plane is running now: as beforeAll started it, with a test's own environment, or not at all. */
  let planeIs: "as started" | "reconfigured" | "stopped" = "stopped";
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
  const startPlane = async (extraEnv: Record<string, string> = {}) => {
    plane = await start(extraEnv);
    planeIs = Object.keys(extraEnv).length === 0 ? "as started" : "reconfigured";
  };
  const stopPlane = async () => {
    planeIs = "stopped";
    await plane.stop();
  };

  const cli = (...argv: string[]) => runCliCapturing(argv, { dataDir, registry });

  /** Runs hello-world to its end through the CLI, with `key=value` params, and returns the run it printed. */
  const runHelloWorld = async (...params: string[]) => {
    const result = await cli(
      "run",
      "hello-world",
      ...params.flatMap((param) => ["--param", param]),
      "--wait",
      "--json",
    );
    return JSON.parse(result.out) as Run;
  };
  /** The run as the runs table holds it, read through the CLI. */
  const showRun = async (runId: string) => JSON.parse((await cli("show", runId, "--json")).out) as Run;
  /** What the Slack stand-in received about these runs (each post names its run), ignoring other tests' posts. */
  const slackPostsAbout = (...runIds: string[]) =>
    slack.received.filter((message) => runIds.some((runId) => message.text.includes(`run ${runId}`)));

  beforeAll(async () => {
    slack = await startSlackServer();
    dbt = await startDbtCloudServer({ accountId: "1", token: "local-dbt-token" });
    dbt.jobs.set("42", { statuses: [3, 10] });
    await startPlane();
  });
  beforeEach(() => {
    dbt.requests.length = 0;
  });
  afterEach(async () => {
    aheadMs = 0;
    if (planeIs === "reconfigured") await stopPlane();
    if (planeIs === "stopped") await startPlane();
  });
  afterAll(async () => {
    if (planeIs !== "stopped") await stopPlane();
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
    const { runId } = await runHelloWorld();
    const run = await showRun(runId);
    expect(run.state).toBe(RunState.SUCCEEDED);
    // STARTING comes from the launcher or from the PROVISIONING event, whichever is recorded first.
    expect(run.history.map((entry) => entry.state)).toEqual(["PENDING", "STARTING", "RUNNING", "SUCCEEDED"]);
    expect(run.history.at(-1)).toMatchObject({ source: "recorder", exitCode: 0, taskVersion: 5 });
  });

  it("writes each task's output to its own log file", async () => {
    const { runId } = await runHelloWorld();
    const run = await showRun(runId);
    const taskId = run.taskArn!.split("/").pop()!;
    expect(readFileSync(join(dataDir, "logs", "hello-world", `${taskId}.log`), "utf8")).toContain(
      "hello from step 3 of 3",
    );
  });

  it("posts exactly one Slack message for the failed attempt, and none for the success", async () => {
    // A success right after a failure posts a "recovered" note: start from a success, whatever ran before.
    await runHelloWorld();
    const succeeded = await runHelloWorld();
    const failed = await runHelloWorld("fail=true");
    expect([succeeded.state, failed.state]).toEqual([RunState.SUCCEEDED, RunState.FAILED]);
    // The alerter hears of the failure asynchronously, as EventBridge delivers it.
    await eventually(() =>
      expect(slackPostsAbout(succeeded.runId, failed.runId).map((message) => message.text)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^:red_circle: hello-world failed in local, run ${escapeRegExp(failed.runId)}, attempt 1 of 1, exit 1`,
          ),
        ),
      ]),
    );
  });

  it("posts one recovered note for the success after a failed run, named by the recorder", async () => {
    const failed = await runHelloWorld("fail=true");
    const recovered = await runHelloWorld();
    expect(recovered.state).toBe(RunState.SUCCEEDED);
    await eventually(() =>
      expect(slackPostsAbout(recovered.runId).map((message) => message.text)).toEqual([
        `:large_green_circle: hello-world recovered in local: run ${recovered.runId} succeeded after ${failed.runId} failed`,
      ]),
    );
  });

  it("prints each transition on the console", async () => {
    const { runId } = await runHelloWorld("fail=true");
    const transition = new RegExp(`${escapeRegExp(runId)} {2}attempt 1/1 {2}RUNNING → FAILED {2}\\(exit 1`);
    await eventually(() => expect(console.some((line) => transition.test(line))).toBe(true));
  });

  it("answers an unknown flow with a clear error and exit code 2", async () => {
    const result = await cli("run", "no-such-flow");
    expect(result).toMatchObject({
      code: 2,
      err: `data-flows: unknown flow "no-such-flow"; known flows: ${registry.names.join(", ")}`,
    });
  });

  it("keeps the history across a restart", async () => {
    const runIds = [(await runHelloWorld()).runId, (await runHelloWorld("fail=true")).runId];
    const ownRuns = async () =>
      (
        JSON.parse((await cli("runs", "--flow", "hello-world", "--limit", "100", "--json")).out) as { runs: Run[] }
      ).runs.filter((run) => runIds.includes(run.runId));
    const before = await ownRuns();
    await stopPlane();
    expect(existsSync(join(dataDir, "local.json"))).toBe(false);
    await startPlane();
    const after = await ownRuns();
    expect(after.map((run) => `${run.runId} ${run.state}`)).toEqual(before.map((run) => `${run.runId} ${run.state}`));
    expect(after).toHaveLength(2);
  });

  it("shows one run with its history", async () => {
    const { runId } = await runHelloWorld();
    const result = await cli("show", runId);
    expect(result.out).toContain(`run:           ${runId}`);
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
    // ECS may skip a state (a process that exits at once can be STOPPED before RUNNING is seen): the order is the spec.
    const moves = run.history.map((entry) => `${entry.attempt}:${entry.state}`);
    expect(moves[0]).toBe("1:PENDING");
    expect(moves.slice(moves.indexOf("1:RETRYING"))).toEqual(
      expect.arrayContaining(["1:RETRYING", "2:PENDING", "2:SUCCEEDED"]),
    );
    expect(moves.indexOf("1:RETRYING")).toBeLessThan(moves.indexOf("2:PENDING"));
    expect(moves.at(-1)).toBe("2:SUCCEEDED");
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
    await stopPlane();
    await startPlane({ DBT_CLOUD_TOKEN: "local-dbt-token", DBT_CLOUD_ACCOUNT_ID: "1" });
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
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const giveUp = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > giveUp) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Retries an assertion about something delivered asynchronously until it holds; past the timeout, its last failure. */
async function eventually(assertion: () => void, timeoutMs = 15_000): Promise<void> {
  const giveUp = Date.now() + timeoutMs;
  for (;;) {
    try {
      assertion();
      return;
    } catch (error) {
      if (Date.now() > giveUp) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
