import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadRegistry } from "../../flows/index";
import type { Run } from "../../lambdas/core/run";
import { RunState } from "../../contracts/run-states";
import type { LocalControlPlane } from "../../local/control-plane";
import { runCliCapturing } from "../support/cli";
import { startQuietControlPlane } from "../support/local-plane";

const registry = loadRegistry();

/**
 * `npm start`'s invoke endpoint (the local Lambda Invoke) takes requests only from a caller that can read the data
 * folder: the token is made at each start and written, with the endpoints, to a file only the developer can read.
 */
describe("the local control plane's invoke endpoint", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "data-flows-token-"));
  let plane: LocalControlPlane;
  const cli = (...argv: string[]) => runCliCapturing(argv, { dataDir, registry });
  const endpointsFile = join(dataDir, "local.json");
  const endpoints = () => JSON.parse(readFileSync(endpointsFile, "utf8")) as Record<string, unknown>;
  const start = () => startQuietControlPlane(registry, dataDir);

  beforeAll(async () => {
    // A file left by an earlier start, readable by everyone: the new one must not inherit its mode.
    writeFileSync(endpointsFile, "{}", { mode: 0o644 });
    plane = await start();
  });
  afterAll(async () => {
    await plane.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("writes a fresh token with the endpoints, to a file only its owner can read", async () => {
    expect(endpoints()).toMatchObject({ apiUrl: plane.apiUrl, token: expect.stringMatching(/^[A-Za-z0-9_-]{32,}$/) });
    expect(statSync(endpointsFile).mode & 0o777).toBe(0o600);
  });

  it("refuses a web page's request, and requests without the token, and starts no run", async () => {
    const url = `${plane.apiUrl}/functions/launcher/invocations`;
    const body = JSON.stringify({ kind: "manual", flow: "hello-world", params: {} });
    const token = String(endpoints().token);
    const attempts: Record<string, string>[] = [
      { "content-type": "text/plain" }, // what a page's fetch(..., {mode: "no-cors"}) or <form> sends
      { "content-type": "application/json" },
      { "content-type": "application/json", "x-data-flows-token": "not-the-token" },
      { "content-type": "application/json", "x-data-flows-token": token, origin: "https://evil.example" },
      { "content-type": "text/plain", "x-data-flows-token": token },
    ];
    const statuses = [];
    for (const headers of attempts) statuses.push((await fetch(url, { method: "POST", headers, body })).status);
    expect(statuses).toEqual([403, 403, 403, 403, 415]);
    const runs = await cli("runs", "--flow", "hello-world", "--json");
    expect(JSON.parse(runs.out)).toEqual({ runs: [] });
  });

  it("still serves the CLI, which sends the token", async () => {
    const result = await cli("run", "hello-world", "--wait", "--json");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out) as Run).toMatchObject({ state: RunState.SUCCEEDED, exitCode: 0 });
  });
});
