import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FLOW_DEFINITIONS } from "../../flows/index";
import { defineRegistry } from "../../flows/registry/flow-registry";
import type { Run } from "../../lambdas/core/run";
import { RunState } from "../../contracts/run-states";
import type { LocalControlPlane } from "../../local/control-plane";
import { LocalTaskLogs } from "../../local/local-alerts";
import { localLogsDir } from "../../local/local-environment";
import { runCliCapturing } from "../support/cli";
import { startQuietControlPlane } from "../support/local-plane";
import { describeWithPython, python } from "../support/python";
import { startSlackServer } from "../support/slack-server";

/** The shipped flows, and one more Python flow (hello-python's code) that declares a secret the shell does not have. */
const registry = defineRegistry([
  ...FLOW_DEFINITIONS,
  {
    name: "hello-python-secret",
    description: "hello-python, needing SNOWFLAKE_USER",
    owner: "@data-eng",
    run: { image: "python", command: ["python", "flows/hello-python/main.py"] },
    secrets: ["SNOWFLAKE_USER"],
    params: {},
  },
]);

/**
 * Python flows through the control plane `npm start` runs: the same launcher, recorder, reaper and alerter as a
 * TypeScript flow, with the flow run as a python3 process under the contract's environment.
 */
describeWithPython("Python flows on the local control plane", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "data-flows-python-"));
  const databases = mkdtempSync(join(tmpdir(), "data-flows-python-db-"));
  let plane: LocalControlPlane;
  let slack: Awaited<ReturnType<typeof startSlackServer>>;
  /** The control plane's clock runs this far ahead, to reach a timeout without waiting for it. */
  let aheadMs = 0;

  beforeAll(async () => {
    slack = await startSlackServer();
    plane = await startQuietControlPlane(registry, dataDir, {
      hostEnv: { PATH: process.env.PATH, POWERTOOLS_LOG_LEVEL: "INFO", SLACK_WEBHOOK_URL: slack.url },
      now: () => new Date(Date.now() + aheadMs),
    });
  });
  afterEach(() => {
    aheadMs = 0;
  });
  afterAll(async () => {
    await plane.stop();
    await slack.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(databases, { recursive: true, force: true });
  });

  const cli = (...argv: string[]) => runCliCapturing(argv, { dataDir, registry });
  const runToEnd = async (flow: string, ...params: string[]) => {
    const result = await cli("run", flow, ...params.flatMap((param) => ["--param", param]), "--wait", "--json");
    return JSON.parse(result.out) as Run;
  };

  it("runs hello-python to SUCCEEDED with exit 0", async () => {
    expect(await runToEnd("hello-python")).toMatchObject({ state: RunState.SUCCEEDED, exitCode: 0, attempt: 1 });
  });

  it("fails it with exit 1, and the on-call alert carries the flow's error in its last log lines", async () => {
    const run = await runToEnd("hello-python", "fail=true");
    expect(run).toMatchObject({ state: RunState.FAILED, exitCode: 1 });
    await waitFor(async () => slack.received.some((message) => message.text.includes(`run ${run.runId}`)));
    const alert = slack.received.find((message) => message.text.includes(`run ${run.runId}`))!;
    const tail = JSON.stringify(alert.blocks.find((block) => JSON.stringify(block).includes("Last log lines")));
    expect(tail).toContain("flow failed");
    expect(tail).toContain("failing on demand (param fail=true)");
  });

  it("stops a run past its timeout with SIGTERM: TIMED_OUT, and the flow exits 143", async () => {
    const started = JSON.parse((await cli("run", "hello-python", "--param", "steps=10000", "--json")).out) as Run;
    const logs = new LocalTaskLogs(localLogsDir(dataDir));
    const lastLines = async () => {
      const taskArn = (await plane.runs.get(started.runId))?.taskArn;
      return taskArn ? (await logs.tail("hello-python", taskArn, 1).catch(() => [])).join("\n") : "";
    };
    // Counting, so the flow's own SIGTERM handler is in place (a process signalled before would just die).
    await waitFor(async () => (await lastLines()).includes("hello from step"));
    aheadMs = 6 * 60_000; // hello-python's timeout is 5 minutes
    expect((await plane.reapRuns()).timedOut).toEqual([started.runId]);
    const run = (await plane.runs.get(started.runId))!;
    const task = async () => {
      const lookup = (await plane.runner.describeTasks([run.taskArn!])).get(run.taskArn!);
      return lookup?.found ? lookup.task : undefined;
    };
    await waitFor(async () => (await task())?.lastStatus === "STOPPED");
    expect(await task()).toMatchObject({ stopCode: "UserInitiated", containers: [{ exitCode: 143 }] });
    expect((await plane.runs.get(started.runId))?.state).toBe(RunState.TIMED_OUT);
    // 143 is also what a process killed by SIGTERM reports: the helper's own last line shows it caught the signal.
    expect(JSON.parse(await lastLines())).toMatchObject({ level: "WARN", message: "flow stopped (SIGTERM)" });
  });

  it("ends a run whose declared secret is missing with exit 78, naming the SSM parameter to create", async () => {
    expect(await runToEnd("hello-python-secret")).toMatchObject({
      state: RunState.FAILED,
      exitCode: 78,
      reason: expect.stringContaining("create SSM parameter /DataFlows/Local/SNOWFLAKE_USER"),
    });
  });

  it("loads orders, advancing the watermark only when the run that proposed it succeeds", async () => {
    const source = join(databases, "shop.db");
    const seeded = spawnSync(python.ok ? python.executable : "python3", ["flows/orders-load-py/seed.py", source], {
      encoding: "utf8",
    });
    expect(seeded.stdout).toMatch(/^wrote 144 orders/);
    const urls = [`source=sqlite://${source}`, `warehouse=sqlite://${join(databases, "warehouse.db")}`];
    const watermark = async () =>
      (JSON.parse((await cli("flows", "--json")).out) as { name: string; watermark: { value: string } | null }[]).find(
        (flow) => flow.name === "orders-load-py",
      )!.watermark;

    // Too few rows: the load proposes its watermark, then fails its check (and its one retry) and rolls back.
    const failed = await runToEnd("orders-load-py", ...urls, "min_rows=1000");
    expect(failed).toMatchObject({ state: RunState.FAILED, exitCode: 1, attempt: 2 });
    expect(failed.proposedWatermark?.value).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d0:00\.000Z$/);
    expect(await watermark()).toBeNull();

    const succeeded = await runToEnd("orders-load-py", ...urls);
    expect(succeeded).toMatchObject({ state: RunState.SUCCEEDED, exitCode: 0 });
    expect(await watermark()).toMatchObject({ value: succeeded.proposedWatermark!.value });
  }, 60_000);
});

describe("a Python flow on a machine without a usable python3", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "data-flows-no-python-"));
  const console: string[] = [];
  let plane: LocalControlPlane;
  beforeAll(async () => {
    plane = await startQuietControlPlane(registry, dataDir, {
      hostEnv: { PATH: process.env.PATH, DATA_FLOWS_PYTHON: join(dataDir, "no-such-python3") },
      write: (line) => console.push(line),
    });
  });
  afterAll(async () => {
    await plane.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("says so when the control plane starts, naming the Python flows", () => {
    expect(console.join("\n")).toMatch(/^Python flows cannot run on this machine \(hello-python, orders-load-py, /m);
    expect(console.join("\n")).toContain("install Python 3.11 or newer");
  });

  it("fails the run as a container that could not start, saying what to install, and runs the others", async () => {
    const result = await runCliCapturing(["run", "hello-python", "--wait", "--json"], { dataDir, registry });
    expect(JSON.parse(result.out)).toMatchObject({
      state: RunState.FAILED,
      stopCode: "TaskFailedToStart",
      reason: expect.stringContaining("install Python 3.11 or newer"),
    });
    const other = await runCliCapturing(["run", "hello-world", "--wait", "--json"], { dataDir, registry });
    expect(JSON.parse(other.out)).toMatchObject({ state: RunState.SUCCEEDED });
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const giveUp = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > giveUp) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
