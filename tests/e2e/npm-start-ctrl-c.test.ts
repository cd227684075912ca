import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadRegistry } from "../../flows/index";
import type { Run } from "../../lambdas/core/run";
import { RunState } from "../../contracts/run-states";
import { runCliCapturing } from "../support/cli";
import { freePortPair, killGroup, ps, startNpmStart, waitFor } from "../support/npm-start";
import { openPageSession } from "../support/page-session";

const registry = loadRegistry();

/**
 * Ctrl-C of `npm start` while a flow runs, as a terminal delivers it: SIGINT to the whole foreground process group
 * (npm, the control plane and, unless they are kept apart, the flows). The control plane must stop the flow as
 * StopTask does and record how it ended before it exits, so the next start finds the run CANCELLED with exit 143.
 */
describe("Ctrl-C of npm start while a flow runs", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "data-flows-ctrl-c-"));
  const started: ChildProcess[] = [];
  let dbtCloud: Awaited<ReturnType<typeof startSlowDbtCloud>>;
  beforeAll(async () => (dbtCloud = await startSlowDbtCloud(1_000)));
  afterAll(async () => {
    await dbtCloud.close();
    for (const child of started) if (child.exitCode === null && child.signalCode === null) killGroup(child, "SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("records the run's ending (CANCELLED, exit 143) and the follower ends in one line, never a stack", async () => {
    const port = await freePortPair();
    const env = {
      ...process.env,
      DATA_FLOWS_DATA_DIR: dataDir,
      DATA_FLOWS_PORT: String(port),
      DBT_CLOUD_TOKEN: "local-dbt-token",
      DBT_CLOUD_ACCOUNT_ID: "1",
    };
    const first = await startNpmStart(env, started);
    // npm start serves the run-history page beside the control plane.
    const page = /run history (http:\/\/127\.0\.0\.1:\d+\/\?key=\S+)/.exec(first.output())?.[1];
    expect(page).toBeDefined();
    const session = await openPageSession(page!);
    expect(await (await session.fetch("/")).text()).toContain("<h1>Flows</h1>");
    expect((await fetch(`${session.origin}/`)).status).toBe(401); // without its key, nothing
    // Nothing stands between npm's shell and the control plane that could cut its stop short (the tsx CLI relays a
    // signal and SIGKILLs its child when the child has not acknowledged it within 30 ms).
    const { pid } = JSON.parse(readFileSync(join(dataDir, "local.json"), "utf8")) as { pid: number };
    expect(ps("args", ps("ppid", String(pid)))).not.toMatch(/node_modules\/\.bin\/tsx|tsx\/dist\/cli/);
    const cli = (...argv: string[]) => runCliCapturing(argv, { dataDir, registry });

    // A follower that throws is a failure of its own (bug: a raw ECONNREFUSED stack), reported as such.
    // dbt-nightly cancels its dbt Cloud run when stopped, which takes as long as dbt Cloud takes to answer.
    const following = cli(
      "run",
      "dbt-nightly",
      ...["--param", `dbt_cloud_host=${dbtCloud.url}`, "--param", "job_id=42", "--param", "poll_seconds=0.2"],
      "--wait",
      "--json",
    ).catch((error: unknown) => ({
      code: -1,
      out: "",
      err: error instanceof Error ? (error.stack ?? error.message) : String(error),
    }));
    const running = await waitFor(async () => {
      const listed = await cli("runs", "--flow", "dbt-nightly", "--json");
      const runs = listed.code === 0 ? (JSON.parse(listed.out) as { runs: Run[] }).runs : [];
      return runs.find((run) => run.state === RunState.RUNNING);
    });
    // The flow is following its dbt Cloud run: stopping it now means cancelling that run first.
    await waitFor(async () => dbtCloud.requests.some((request) => request.startsWith("GET")) || undefined);

    killGroup(first.child, "SIGINT");
    await first.exited;
    const followed = await following;

    const second = await startNpmStart(env, started);
    const shown = await cli("show", running.runId, "--json");
    killGroup(second.child, "SIGINT");
    await second.exited;
    expect(JSON.parse(shown.out)).toMatchObject({
      state: RunState.CANCELLED,
      exitCode: 143,
      stopCode: "UserInitiated",
    });
    // The follower either saw the ending or was told, in one line, that the control plane stopped under it.
    const followerEnding =
      followed.code === 1 ? `ended ${(JSON.parse(followed.out) as Run).state}` : `${followed.code} ${followed.err}`;
    expect(followerEnding).toMatch(
      /^(ended CANCELLED|2 data-flows: the local control plane stopped while following \S+; it was RUNNING [^\n]+)$/,
    );
  }, 30_000);
});

/** A dbt Cloud stand-in whose runs never finish on their own and whose cancel answers after `cancelMs`. */
async function startSlowDbtCloud(cancelMs: number) {
  const requests: string[] = [];
  const server = createHttpServer((request, response) => {
    request.resume();
    requests.push(`${request.method} ${request.url}`);
    const reply = (body: unknown) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ data: body }));
    };
    if (request.url?.endsWith("/cancel/")) setTimeout(() => reply({ id: 7, status: 30 }), cancelMs);
    else reply({ id: 7, status: 3, status_humanized: "Running", href: "https://cloud.example/runs/7" });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
