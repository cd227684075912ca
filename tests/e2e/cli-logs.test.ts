import * as z from "zod";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { taskIdOf } from "../../contracts/resource-names";
import type { FlowInput } from "../../flows/registry/flow-definition";
import { defineRegistry } from "../../flows/registry/flow-registry";
import type { Run } from "../../lambdas/core/run";
import type { LocalControlPlane } from "../../local/control-plane";
import { runCliCapturing } from "../support/cli";
import { startQuietControlPlane } from "../support/local-plane";

const node = process.execPath;
const flow = (name: string, script: string, extra: Partial<FlowInput> = {}): FlowInput => ({
  name,
  description: "test flow",
  owner: "@test",
  overlap: "allow",
  run: { image: "node", command: [node, "-e", script] },
  ...extra,
});

/** Logs `tick 1` … `tick <count>` as the flow runtime does (JSON with a timestamp), one every 200 ms. */
const TICKER = `
  const params = JSON.parse(process.env.DATA_FLOWS_PARAMS);
  let tick = 0;
  const timer = setInterval(() => {
    tick += 1;
    console.log(JSON.stringify({ level: "INFO", message: "tick " + tick, timestamp: new Date().toISOString() }));
    if (tick < Number(params.count)) return;
    clearInterval(timer);
    process.exitCode = params.fail === "true" ? 1 : 0;
  }, 200);`;
/** Fails its first attempt and succeeds its second, saying which in plain text. */
const RETRIED = `
  const attempt = process.env.DATA_FLOWS_ATTEMPT;
  console.log("attempt " + attempt + (attempt === "1" ? " failing" : " done"));
  process.exitCode = attempt === "1" ? 1 : 0;`;

const registry = defineRegistry([
  flow("ticker", TICKER, { params: { count: z.string().default("10"), fail: z.string().default("false") } }),
  flow("retried", RETRIED, { retries: 1 }),
]);

const messageOf = (line: string) => (JSON.parse(line) as { message: string }).message;

/** `data-flows logs` against the control plane `npm start` runs, with flows that log as they go. */
describe("data-flows logs", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "data-flows-logs-"));
  const cli = (...argv: string[]) => runCliCapturing(argv, { dataDir, registry });
  let plane: LocalControlPlane;
  /** A run that retries (3 s locally), followed from the start in the background while the other tests go on. */
  let retried: ReturnType<typeof cli>;
  let ticker: Run;

  beforeAll(async () => {
    plane = await startQuietControlPlane(registry, dataDir);
    retried = cli("run", "retried", "--wait", "--logs", "--json");
  });
  afterAll(async () => {
    await plane.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("follows a run's lines as the flow writes them, and ends with the run", async () => {
    const started = await cli("run", "ticker", "--json");
    const { runId } = JSON.parse(started.out) as { runId: string };

    // Its first attempt is under way: there is no second one to show.
    const early = await cli("logs", runId, "--attempt", "2");
    expect(early.code).toBe(2);
    expect(early.err).toMatch(
      new RegExp(`^data-flows: attempt 2 of ${runId} has no task yet \\(the run is [A-Z]+, on attempt 1\\); --follow`),
    );

    const printedAt: number[] = [];
    const followed = await runCliCapturing(["logs", runId, "--follow"], {
      dataDir,
      registry,
      onOut: () => printedAt.push(Date.now()),
    });
    expect(followed.code).toBe(0);
    expect(followed.out.split("\n").map(messageOf)).toEqual(
      Array.from({ length: 10 }, (_, index) => `tick ${index + 1}`),
    );
    ticker = (await plane.runs.get(runId))!;
    expect(ticker.state).toBe("SUCCEEDED");
    // Lines came while the flow was still writing them, not all at once after it had ended.
    const endedAt = Date.parse(ticker.endedAt!);
    expect(printedAt.filter((at) => at < endedAt).length).toBeGreaterThanOrEqual(3);
  });

  it("prints an ended run's lines as JSON lines, and only those from --since on", async () => {
    const { runId, taskArn } = ticker;
    const result = await cli("logs", runId, "--json");
    expect(result.code).toBe(0);
    const lines = result.out.split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(10);
    lines.forEach((line, index) => {
      expect(line).toEqual({
        runId,
        attempt: 1,
        taskId: taskIdOf(taskArn!),
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
        message: expect.stringContaining(`"tick ${index + 1}"`) as unknown,
      });
    });

    const since = await cli("logs", runId, "--since", lines[6]!.timestamp as string);
    expect(since.out.split("\n").map(messageOf)).toEqual(["tick 7", "tick 8", "tick 9", "tick 10"]);
    expect((await cli("logs", runId, "--since", "1h")).out.split("\n")).toHaveLength(10);
  });

  it("exits 1 when the run it followed did not succeed", async () => {
    const started = await cli("run", "ticker", "-p", "count=2", "-p", "fail=true", "--json");
    const { runId } = JSON.parse(started.out) as { runId: string };
    const followed = await cli("logs", runId, "--follow", "--json");
    expect(followed.code).toBe(1);
    expect(followed.out.split("\n").map((line) => (JSON.parse(line) as { message: string }).message)).toHaveLength(2);
  });

  it("streams every attempt's lines with `run --wait --logs`, then shows one attempt at a time", async () => {
    const followed = await retried;
    expect(followed.code).toBe(0);
    const printed = followed.out.split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    const run = printed.at(-1) as unknown as Run;
    expect(run).toMatchObject({ state: "SUCCEEDED", attempt: 2 });
    const tasks = [1, 2].map(
      (attempt) => run.history.find((entry) => entry.attempt === attempt && entry.taskId)!.taskId,
    );
    expect(printed.slice(0, -1)).toEqual([
      { runId: run.runId, attempt: 1, taskId: tasks[0], message: "attempt 1 failing" },
      { runId: run.runId, attempt: 2, taskId: tasks[1], message: "attempt 2 done" },
    ]);

    expect(await cli("logs", run.runId)).toMatchObject({
      code: 0,
      out: "attempt 2 done",
      err: "these are attempt 2's lines; earlier attempts have their own: --attempt 1",
    });
    expect(await cli("logs", run.runId, "--attempt", "1")).toMatchObject({
      code: 0,
      out: "attempt 1 failing",
      err: "",
    });
    expect(await cli("logs", run.runId, "--attempt", "3")).toMatchObject({
      code: 2,
      err: `data-flows: ${run.runId} ended SUCCEEDED on attempt 2: it has no attempt 3`,
    });
  });

  it("says in one line what is wrong with a request", async () => {
    expect(await cli("logs", "ticker/m20260302T101201Z-nosuchrun")).toMatchObject({
      code: 2,
      out: "",
      err: "data-flows: no run ticker/m20260302T101201Z-nosuchrun",
    });
    const badSince = await cli("logs", ticker.runId, "--since", "yesterday");
    expect(badSince.code).toBe(2);
    expect(badSince.err.split("\n")).toHaveLength(1);
    expect(badSince.err).toContain("expected a duration such as 10m");
    expect((await cli("logs", ticker.runId, "--attempt", "0")).code).toBe(2);
  });
});
