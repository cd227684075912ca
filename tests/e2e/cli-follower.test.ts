import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadRegistry } from "../../flows/index";
import { RunState } from "../../contracts/run-states";
import type { LocalControlPlane } from "../../local/control-plane";
import { runCliCapturing } from "../support/cli";
import { startQuietControlPlane } from "../support/local-plane";

const registry = loadRegistry();

/** `data-flows run --wait` when the control plane it follows goes away under it. */
describe("the CLI following a run", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "data-flows-follower-"));
  let plane: LocalControlPlane | undefined;
  afterAll(async () => {
    await plane?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("says in one line that the control plane stopped, what the run was, and what to do next", async () => {
    const running = await startQuietControlPlane(registry, dataDir);
    plane = running;
    // Between two polls, once the run is RUNNING, the control plane stops (Ctrl-C in its terminal).
    const sleep = async (ms: number) => {
      const [run] = plane ? await running.runs.listByFlow("timeout-demo", { limit: 1 }) : [];
      if (run?.state === RunState.RUNNING) {
        plane = undefined;
        await running.stop();
      }
      await new Promise((done) => setTimeout(done, ms));
    };
    const result = await runCliCapturing(["run", "timeout-demo", "--wait"], { dataDir, registry, sleep });
    const runId = /^started (\S+)/.exec(result.out)?.[1];
    expect(runId).toBeDefined();
    expect(result).toMatchObject({
      code: 2,
      err:
        `data-flows: the local control plane stopped while following ${runId}; it was RUNNING when last seen; ` +
        `start it again and run \`data-flows show ${runId}\``,
    });
  });
});
