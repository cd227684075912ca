import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadRegistry } from "../../flows/index";
import { isTerminal, RunState } from "../../contracts/run-states";
import { TOKEN_HEADER } from "../../local/invoke-api";
import type { LocalControlPlane } from "../../local/control-plane";
import { readLocalEndpoints } from "../../local/local-environment";
import { startQuietControlPlane } from "../support/local-plane";
import { CAN_SEE_PROCESSES, flowProcessesOf, REPOSITORY_ROOT, waitFor } from "../support/npm-start";

/** `data-flows …` as a user runs it: its own process, reading the data folder the control plane writes. */
function dataFlows(dataDir: string, ...argv: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", "--data-dir", dataDir, ...argv], {
    cwd: REPOSITORY_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, USER: "ana" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
  return new Promise<{ code: number | null; out: string; err: string; json: () => any }>((resolve) =>
    child.once("close", (code) => resolve({ code, out, err, json: () => JSON.parse(out) })),
  );
}

describe("operating flows from the CLI, against the local control plane", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "data-flows-operate-"));
  const registry = loadRegistry();
  let plane: LocalControlPlane;
  beforeAll(async () => {
    // Backfill runs move on when the previous ones end, and retries are timers: the reaper is not needed here.
    plane = await startQuietControlPlane(registry, dataDir, { reaperIntervalMs: 0 });
  });
  afterAll(async () => {
    await plane.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** What EventBridge Scheduler sends on a flow's schedule, posted to the launcher as the local scheduler does. */
  async function fire(flow: string, scheduledTime: string) {
    const endpoints = readLocalEndpoints(dataDir)!;
    const response = await fetch(`${endpoints.apiUrl}/functions/launcher/invocations`, {
      method: "POST",
      headers: { "content-type": "application/json", [TOKEN_HEADER]: endpoints.token },
      body: JSON.stringify({ kind: "schedule", flow, scheduledTime }),
    });
    return (await response.json()) as { runId: string; status: string };
  }
  const recentSlot = (minutesAgo: number) =>
    new Date(Math.floor(Date.now() / 900_000) * 900_000 - minutesAgo * 60_000).toISOString();

  it("backfills 10 slots never more than 3 at a time, and a second identical backfill launches nothing", async () => {
    const range = ["--from", "2026-11-30T00:00:00Z", "--to", "2026-11-30T02:15:00Z"];
    let mostActive = 0;
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const runs = await plane.runs.listByFlow("hello-world", { limit: 50, trigger: "backfill" });
        mostActive = Math.max(mostActive, runs.filter((run) => !isTerminal(run.state)).length);
        await new Promise((done) => setTimeout(done, 50));
      }
    })();
    const first = await dataFlows(dataDir, "backfill", "hello-world", ...range, "--max-concurrent", "3", "--json");
    watching = false;
    await watch;
    expect(first).toMatchObject({ code: 0 });
    const summary = first.json();
    expect(summary.counts).toEqual({ SUCCEEDED: 10 });
    expect(summary.slots[0]).toMatchObject({ slot: "2026-11-30T00:00:00.000Z", runId: "hello-world/b20261130T0000Z" });
    expect(mostActive).toBeGreaterThan(1);
    expect(mostActive).toBeLessThanOrEqual(3);

    const second = await dataFlows(dataDir, "backfill", "hello-world", ...range, "--max-concurrent", "3", "--json");
    expect(second).toMatchObject({ code: 0 });
    expect(second.json().counts).toEqual({ SUCCEEDED: 10 });
    const runs = await plane.runs.listByFlow("hello-world", { limit: 50, trigger: "backfill" });
    expect(runs).toHaveLength(10);
    expect(runs.every((run) => run.attempt === 1 && run.history[0]!.state === RunState.PENDING)).toBe(true);
    // One task per slot: each task writes its own log file.
    expect(readdirSync(join(dataDir, "logs", "hello-world"))).toHaveLength(10);
  }, 90_000);

  it("cancels a running run: CANCELLED with who and why, its process gone, never retried, its lock free", async () => {
    const started = await dataFlows(dataDir, "run", "timeout-demo", "-p", "seconds=120", "--json");
    const { runId } = started.json() as { runId: string };
    await waitFor(async () => ((await plane.runs.get(runId))?.state === RunState.RUNNING ? true : undefined));

    const cancelled = await dataFlows(dataDir, "cancel", runId, "--reason", "wrong day", "--json");
    expect(cancelled).toMatchObject({ code: 0 });
    expect(cancelled.json()).toMatchObject({ status: "cancelled", state: "CANCELLED" });
    // Written first, then settled: its task stopped (SIGTERM), announced, its lock released.
    const run = await waitFor(async () => {
      const current = await plane.runs.get(runId);
      return current && !current.settlement ? current : undefined;
    });
    expect(run.history.at(-1)).toMatchObject({
      state: "CANCELLED",
      source: "cli",
      reason: "cancelled by ana: wrong day",
    });
    if (CAN_SEE_PROCESSES) await waitFor(async () => (flowProcessesOf(new Set([runId])).size === 0 ? true : undefined));
    await new Promise((done) => setTimeout(done, 4_000)); // past the local retry backoff (3 s)
    expect((await plane.runs.get(runId))!).toMatchObject({ state: "CANCELLED", attempt: 1 });
    expect(await plane.runs.lockHolder("timeout-demo")).toBeUndefined();
    const next = await dataFlows(dataDir, "run", "timeout-demo", "-p", "seconds=1", "--wait", "--json");
    expect(next.json()).toMatchObject({ state: "SUCCEEDED" });
  }, 60_000);

  it("pauses a flow: a fire is SKIPPED (paused), and after resume the next fire launches", async () => {
    expect(await dataFlows(dataDir, "pause", "hello-world", "--reason", "warehouse upgrade")).toMatchObject({
      code: 0,
    });
    const flows = (await dataFlows(dataDir, "flows", "--json")).json() as { name: string; paused: unknown }[];
    expect(flows.find((flow) => flow.name === "hello-world")!.paused).toMatchObject({
      pausedBy: "ana",
      reason: "warehouse upgrade",
    });

    const held = await fire("hello-world", recentSlot(15));
    expect(held.status).toBe("skipped");
    expect((await plane.runs.get(held.runId))!).toMatchObject({
      state: "SKIPPED",
      reason: expect.stringMatching(/^paused by ana at .*: warehouse upgrade$/),
    });

    expect(await dataFlows(dataDir, "resume", "hello-world", "--json")).toMatchObject({ code: 0 });
    const launched = await fire("hello-world", recentSlot(0));
    expect(launched.status).toBe("launched");
  }, 60_000);

  it("advances a flow's watermark only when the run that proposed it succeeds", async () => {
    const watermark = async () =>
      (
        (await dataFlows(dataDir, "flows", "--json")).json() as {
          name: string;
          watermark: { value: string; runId: string } | null;
        }[]
      ).find((flow) => flow.name === "watermark-demo")!.watermark;
    expect(await watermark()).toBeNull();

    const succeeded = await dataFlows(dataDir, "run", "watermark-demo", "--wait", "--json");
    expect(succeeded).toMatchObject({ code: 0 });
    const first = (await watermark())!;
    expect(first.runId).toBe(succeeded.json().runId);

    const failed = await dataFlows(dataDir, "run", "watermark-demo", "-p", "fail=true", "--wait", "--json");
    expect(failed).toMatchObject({ code: 1 });
    expect(failed.json().proposedWatermark.value > first.value).toBe(true); // it did propose one
    expect(await watermark()).toEqual(first);
  }, 60_000);

  it("refuses bad params before any run is created, naming the param", async () => {
    const before = await plane.runs.listByFlow("hello-world", { limit: 100 });
    const refused = await dataFlows(dataDir, "run", "hello-world", "-p", "stpes=5");
    expect(refused).toMatchObject({ code: 2, out: "" });
    expect(refused.err.trim()).toBe(
      'data-flows: flow "hello-world": param "stpes": unknown param (did you mean "steps"?); it takes steps, fail',
    );
    expect(await plane.runs.listByFlow("hello-world", { limit: 100 })).toHaveLength(before.length);
  });
});
