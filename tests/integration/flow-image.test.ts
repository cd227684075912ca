import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { bundleFlows, FLOW_IMAGE_SOURCES } from "../../bundling/bundle-flows";
import { startCaptureServer } from "../support/capture-server";

/** The very bundle and entrypoint the Dockerfile runs (`node /app/index.js`), run with the task's environment. */
describe("the flow image's entrypoint", () => {
  let entrypoint: string;
  let inputs: string[];

  beforeAll(async () => {
    ({ entrypoint, inputs } = await bundleFlows(mkdtempSync(join(tmpdir(), "data-flows-image-"))));
  });

  it("is built only from the folders the Dockerfile copies (no control-plane code in the image)", () => {
    const root = resolve(__dirname, "..", "..");
    const folders = new Set(
      inputs
        .map((input) => relative(root, resolve(input)).split("/")[0]!)
        .filter((folder) => folder !== "node_modules"),
    );
    expect([...folders].sort()).toEqual([...FLOW_IMAGE_SOURCES].sort());
    const dockerfile = readFileSync(join(root, "Dockerfile"), "utf8");
    for (const folder of FLOW_IMAGE_SOURCES) expect(dockerfile).toContain(`COPY ${folder} ./${folder}`);
    expect(dockerfile).not.toMatch(/COPY lambdas/);
  });

  function runTask(flow: string, extra: Record<string, string> = {}, signalAfterMs?: number) {
    const child = spawn(process.execPath, [entrypoint], {
      // Only what ECS gives the container: no node_modules, no tsx, no repository.
      cwd: tmpdir(),
      env: {
        PATH: process.env.PATH,
        DATA_FLOWS_FLOW: flow,
        DATA_FLOWS_ENV: "Dev",
        DATA_FLOWS_RUN_ID: `${flow}/20260302T1000Z`,
        DATA_FLOWS_ATTEMPT: "1",
        DATA_FLOWS_INTERVAL_START: "2026-03-01T10:00:00.000Z",
        DATA_FLOWS_INTERVAL_END: "2026-03-02T10:00:00.000Z",
        DATA_FLOWS_STOP_TIMEOUT_SECONDS: "10",
        ...extra,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    if (signalAfterMs !== undefined) {
      child.stdout.once("data", () => setTimeout(() => child.kill("SIGTERM"), signalAfterMs));
    }
    const started = Date.now();
    return new Promise<{ code: number | null; output: string; ms: number }>((resolve) =>
      child.on("close", (code) => resolve({ code, output, ms: Date.now() - started })),
    );
  }

  it("exits 0 when the flow succeeds, logging JSON lines with the run id", async () => {
    const { code, output } = await runTask("hello-world", { DATA_FLOWS_PARAMS: '{"steps":"1"}' });
    expect(code).toBe(0);
    expect(output).toContain('"runId":"hello-world/20260302T1000Z"');
  });

  it("exits 1 when the flow fails", async () => {
    expect((await runTask("hello-world", { DATA_FLOWS_PARAMS: '{"steps":"1","fail":"true"}' })).code).toBe(1);
  });

  it("exits 78 on a configuration error", async () => {
    const { code, output } = await runTask("no-such-flow");
    expect(code).toBe(78);
    expect(output).toContain('DATA_FLOWS_FLOW names unknown flow \\"no-such-flow\\"');
  });

  it("exits 78 when a param points dbt-nightly's token at a host off its allow-list, and sends nothing there", async () => {
    const attacker = await startCaptureServer();
    try {
      const { code, output } = await runTask("dbt-nightly", {
        DATA_FLOWS_PARAMS: JSON.stringify({ job_id: "42", dbt_cloud_host: attacker.url }),
        DBT_CLOUD_TOKEN: "dbtc_image_token",
        DBT_CLOUD_ACCOUNT_ID: "1",
      });
      expect(code).toBe(78);
      expect(attacker.received).toEqual([]);
      expect(output).toContain("param dbt_cloud_host points at loopback host 127.0.0.1");
      expect(output).not.toContain("dbtc_image_token");
    } finally {
      await attacker.close();
    }
  });

  it("turns SIGTERM into the flow's abort signal and exits 143 promptly", async () => {
    const { code, ms } = await runTask("timeout-demo", { DATA_FLOWS_PARAMS: '{"seconds":"60"}' }, 100);
    expect(code).toBe(143);
    expect(ms).toBeLessThan(10_000);
  });
});
