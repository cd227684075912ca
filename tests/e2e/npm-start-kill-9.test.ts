import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadRegistry } from "../../flows/index";
import type { Run } from "../../lambdas/core/run";
import { RunState } from "../../contracts/run-states";
import { runCliCapturing } from "../support/cli";
import {
  CAN_SEE_PROCESSES,
  controlPlanePid,
  flowProcessesOf,
  freePortPair,
  killGroup,
  startNpmStart,
  waitFor,
} from "../support/npm-start";

const registry = loadRegistry();

/**
 * `kill -9` of the local control plane while a flow runs: nothing in the dying process can stop the flow (it runs in
 * a process group of its own, as a container outlives nothing but its task). The next `npm start` must stop what was
 * left running and record it, as ECS reports the tasks of a host it lost, so the run moves on instead of staying
 * RUNNING with an orphaned process nobody watches.
 */
const describeOnLinux = CAN_SEE_PROCESSES ? describe : describe.skip;
if (!CAN_SEE_PROCESSES) console.log("skipped: finding orphaned flow processes needs Linux's /proc");

describeOnLinux("kill -9 of npm start while a flow runs", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "data-flows-kill-9-"));
  const started: ChildProcess[] = [];
  const runIds = new Set<string>();
  afterAll(() => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) killGroup(child, "SIGKILL");
    for (const pid of flowProcessesOf(runIds).keys()) process.kill(pid, "SIGKILL"); // left by a failed expectation
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("stops the orphaned flow on the next start and ends its attempt as a lost host (retried), not RUNNING", async () => {
    const port = await freePortPair();
    const env = { ...process.env, DATA_FLOWS_DATA_DIR: dataDir, DATA_FLOWS_PORT: String(port) };
    const cli = (...argv: string[]) => runCliCapturing(argv, { dataDir, registry });

    const first = await startNpmStart(env, started);
    const launched = await cli("run", "hello-world", "--param", "steps=300", "--json");
    const { runId } = JSON.parse(launched.out) as Run;
    runIds.add(runId);
    await waitFor(async () => {
      const shown = await cli("show", runId, "--json");
      return (JSON.parse(shown.out) as Run).state === RunState.RUNNING || undefined;
    });
    const [orphan] = [...flowProcessesOf(new Set([runId])).keys()];

    process.kill(controlPlanePid(dataDir), "SIGKILL");
    await first.exited;
    expect(flowProcessesOf(new Set([runId])).has(orphan!)).toBe(true); // the flow outlived its control plane

    const second = await startNpmStart(env, started);
    expect(second.output()).toMatch(/stopped [0-9a-f]{32}, left running by a control plane that was killed/);
    expect(flowProcessesOf(new Set([runId])).has(orphan!)).toBe(false);
    const shown = JSON.parse((await cli("show", runId, "--json")).out) as Run;
    expect(shown.history.find((entry) => entry.attempt === 1 && entry.state === RunState.RETRYING)).toMatchObject({
      stopCode: "InfrastructureHealth",
    });

    killGroup(second.child, "SIGINT");
    await second.exited;
    expect(flowProcessesOf(new Set([runId])).size).toBe(0);
  }, 60_000);
});
