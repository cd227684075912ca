import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineRegistry } from "../../flows/registry/flow-registry";
import type { Run } from "../../lambdas/core/run";
import { RunState } from "../../contracts/run-states";
import type { LocalControlPlane } from "../../local/control-plane";
import { runCliCapturing } from "../support/cli";
import { startQuietControlPlane } from "../support/local-plane";

const node = process.execPath;
const registry = defineRegistry([
  { name: "up", description: "d", owner: "@o", run: { image: "node", command: [node, "-e", "0"] } },
  { name: "down", description: "d", owner: "@o", upstream: ["up"], run: { image: "node", command: [node, "-e", "0"] } },
]);

/**
 * Whatever one request to the invoke endpoint carries, it is answered (or becomes a run that fails to start), and
 * nothing escapes as an unhandled rejection: in `npm start` that would end the process and orphan the flows running.
 */
describe("the local control plane, given hostile launch requests", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "data-flows-bad-requests-"));
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  let plane: LocalControlPlane;

  beforeAll(async () => {
    process.on("unhandledRejection", onUnhandled);
    plane = await startQuietControlPlane(registry, dataDir);
  });
  afterAll(async () => {
    await plane.stop();
    process.off("unhandledRejection", onUnhandled);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const invoke = async (body: string) => {
    const { token } = JSON.parse(readFileSync(join(dataDir, "local.json"), "utf8")) as { token?: string };
    const response = await fetch(`${plane.apiUrl}/functions/launcher/invocations`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-data-flows-token": token ?? "" },
      body,
    });
    return response.status;
  };

  it("answers each, starts nothing that can crash it, and keeps serving", async () => {
    const upstreamSuccess = (runId: string) =>
      JSON.stringify({
        source: "data-flows",
        "detail-type": "Flow Run State Change",
        detail: {
          runId,
          flow: "up",
          trigger: "manual",
          from: "RUNNING",
          to: "SUCCEEDED",
          attempt: 1,
          maxAttempts: 1,
          at: new Date().toISOString(),
        },
      });
    const hostile = [
      upstreamSuccess("up/x\u0000y"), // the downstream run's id, and so its task's environment, holds a NUL byte
      JSON.stringify({ kind: "manual", flow: "up", params: { note: "a\u0000b" } }),
      JSON.stringify({ kind: "manual", flow: "up", params: { "A\u0000B": "x" } }),
      JSON.stringify({ kind: "retry", flow: "up", runId: "up/x\u0000y", attempt: 2 }),
      JSON.stringify({ kind: "redrive", flow: "up", runId: "up/x\u0000y" }),
      "{not json",
      "null",
    ];
    const statuses = [];
    for (const body of hostile) statuses.push(await invoke(body));
    expect(statuses.every((status) => [200, 400, 500].includes(status))).toBe(true);

    // Any run those requests created has ended: a task that could not start is FAILED, never left running.
    await waitFor(async () => {
      const runs = await plane.runs.listByFlow("down", { limit: 10 });
      return runs.every((run) => ![RunState.PENDING, RunState.STARTING, RunState.RUNNING].includes(run.state as never));
    });
    const result = await runCliCapturing(["run", "up", "--wait", "--json"], { dataDir, registry });
    expect(JSON.parse(result.out) as Run).toMatchObject({ state: RunState.SUCCEEDED, exitCode: 0 });
    await new Promise((done) => setTimeout(done, 100));
    expect(unhandled).toEqual([]);
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const giveUp = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > giveUp) throw new Error("condition not met in time");
    await new Promise((done) => setTimeout(done, 50));
  }
}
