import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { loadRegistry } from "../../flows/index";
import type { LocalControlPlane } from "../../local/control-plane";
import { startQuietControlPlane } from "../support/local-plane";
import { REPOSITORY_ROOT } from "../support/npm-start";

/** The `data-flows` command as a user runs it: its own process, reading the data folder `npm start` writes. */
function dataFlows(dataDir: string, ...argv: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", "--data-dir", dataDir, ...argv], {
    cwd: REPOSITORY_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: { at: number; line: string }[] = [];
  let err = "";
  createInterface({ input: child.stdout! }).on("line", (line) => lines.push({ at: Date.now(), line }));
  child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
  return new Promise<{ code: number | null; lines: typeof lines; err: string }>((resolve) =>
    child.once("close", (code) => resolve({ code, lines, err })),
  );
}

describe("data-flows logs, run as its own process", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "data-flows-logs-cli-"));
  const registry = loadRegistry();
  let plane: LocalControlPlane;
  beforeAll(async () => {
    plane = await startQuietControlPlane(registry, dataDir);
  });
  afterAll(async () => {
    await plane.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("follows hello-world's lines as JSON while it counts, and exits 0 when the run succeeded", async () => {
    const started = await dataFlows(dataDir, "run", "hello-world", "-p", "steps=15", "--json");
    expect(started).toMatchObject({ code: 0, err: "" });
    const { runId } = JSON.parse(started.lines.map(({ line }) => line).join("\n")) as { runId: string };

    const followed = await dataFlows(dataDir, "logs", runId, "--follow", "--json");
    expect(followed).toMatchObject({ code: 0, err: "" });
    const printed = followed.lines.map(({ line }) => JSON.parse(line) as { runId: string; message: string });
    const messages = printed.map(({ message }) => (JSON.parse(message) as { message: string }).message);
    expect(messages).toEqual(
      expect.arrayContaining(["flow started", "hello from step 1 of 15", "hello from step 15 of 15", "flow succeeded"]),
    );
    expect(printed.every((line) => line.runId === runId)).toBe(true);

    const run = (await plane.runs.get(runId))!;
    expect(run.state).toBe("SUCCEEDED");
    expect(followed.lines.filter(({ at }) => at < Date.parse(run.endedAt!)).length).toBeGreaterThan(0);
  });
});
