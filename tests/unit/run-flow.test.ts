import * as z from "zod";
import { Logger } from "@aws-lambda-powertools/logger";
import { setTimeout as sleep } from "node:timers/promises";
import { defineRegistry } from "../../flows/registry/flow-registry";
import { ExitCode } from "../../contracts/exit-codes";
import type { FlowContext, FlowMain } from "../../flows/runtime/flow-context";
import { runFlow } from "../../flows/runtime/run-flow";

const registry = defineRegistry([
  {
    name: "plain",
    description: "d",
    owner: "@o",
    params: { window: z.string().default("1d"), day: z.iso.date().optional(), limit: z.coerce.number().default(10) },
  },
  { name: "with-secret", description: "d", owner: "@o", secrets: ["DBT_CLOUD_TOKEN"] },
  { name: "keeper", description: "d", owner: "@o", watermark: true },
  {
    name: "calls-out",
    description: "d",
    owner: "@o",
    allowedHosts: ["api.example.com"],
    params: { api: z.string().default("") },
  },
]);
const taskEnv = (flow: string, extra: Record<string, string> = {}) => ({
  DATA_FLOWS_FLOW: flow,
  DATA_FLOWS_ENV: "Dev",
  DATA_FLOWS_RUN_ID: `${flow}/20260302T1000Z`,
  DATA_FLOWS_ATTEMPT: "2",
  DATA_FLOWS_INTERVAL_START: "2026-03-01T10:00:00.000Z",
  DATA_FLOWS_INTERVAL_END: "2026-03-02T10:00:00.000Z",
  ...extra,
});

describe("the flow runtime", () => {
  let lines: string[];
  let logger: Logger;
  let seen: FlowContext | undefined;

  beforeEach(() => {
    lines = [];
    seen = undefined;
    logger = new Logger({ serviceName: "test", logLevel: "INFO" });
    for (const stream of [process.stdout, process.stderr]) {
      jest.spyOn(stream, "write").mockImplementation((chunk) => {
        lines.push(String(chunk));
        return true;
      });
    }
  });
  afterEach(() => jest.restoreAllMocks());

  const run = (env: Record<string, string>, main: FlowMain, stop = new AbortController().signal) =>
    runFlow({
      env,
      registry,
      modules: {
        plain: async () => ({ default: main }),
        "with-secret": async () => ({ default: main }),
        "calls-out": async () => ({ default: main }),
      },
      stop,
      logger,
    });

  it("exits 0 when the flow resolves, giving it run id, attempt and params", async () => {
    const code = await run(taskEnv("plain", { DATA_FLOWS_PARAMS: '{"day":"2026-03-01"}' }), async (context) => {
      seen = context;
    });
    expect(code).toBe(ExitCode.success);
    expect(seen).toMatchObject({
      flow: "plain",
      runId: "plain/20260302T1000Z",
      attempt: 2,
      params: { window: "1d", day: "2026-03-01", limit: 10 },
      dataInterval: { start: new Date("2026-03-01T10:00:00.000Z"), end: new Date("2026-03-02T10:00:00.000Z") },
    });
  });

  it("exits 1 when the flow throws, logging the error", async () => {
    const code = await run(taskEnv("plain"), async () => {
      throw new Error("warehouse said no");
    });
    expect(code).toBe(ExitCode.flowError);
    expect(lines.join("")).toContain("warehouse said no");
  });

  it("exits 78 naming the SSM parameter when a declared secret is missing", async () => {
    const code = await run(taskEnv("with-secret"), async () => undefined);
    expect(code).toBe(ExitCode.configurationError);
    expect(lines.join("")).toContain(
      "secret DBT_CLOUD_TOKEN is missing: create SSM parameter /DataFlows/Dev/DBT_CLOUD_TOKEN",
    );
  });

  it("hands declared secrets to the flow and never logs their values", async () => {
    const code = await run(taskEnv("with-secret", { DBT_CLOUD_TOKEN: "s3cr3t-value" }), async (context) => {
      seen = context;
    });
    expect(code).toBe(ExitCode.success);
    expect(seen?.secrets).toEqual({ DBT_CLOUD_TOKEN: "s3cr3t-value" });
    expect(lines.join("")).not.toContain("s3cr3t-value");
  });

  it.each([
    ["no run id", { DATA_FLOWS_RUN_ID: "" }],
    ["an attempt of zero", { DATA_FLOWS_ATTEMPT: "0" }],
    ["params that are not JSON", { DATA_FLOWS_PARAMS: "{" }],
    ["params that are a list", { DATA_FLOWS_PARAMS: "[1]" }],
    ["no data interval", { DATA_FLOWS_INTERVAL_START: "" }],
    ["a data interval that is not a date", { DATA_FLOWS_INTERVAL_END: "yesterday" }],
    ["a data interval that ends before it starts", { DATA_FLOWS_INTERVAL_END: "2026-02-01T00:00:00.000Z" }],
    ["an unknown flow", { DATA_FLOWS_FLOW: "nope" }],
  ])("exits 78 on %s", async (_, extra) => {
    expect(await run(taskEnv("plain", extra), async () => undefined)).toBe(ExitCode.configurationError);
  });

  it("gives the flow its allowedHosts and a URL check that accepts them", async () => {
    let checked = "";
    const code = await run(taskEnv("calls-out"), async (context) => {
      seen = context;
      checked = context.externalUrl("https://api.example.com/v1", "param api").href;
    });
    expect(code).toBe(ExitCode.success);
    expect(seen?.allowedHosts).toEqual(["api.example.com"]);
    expect(checked).toBe("https://api.example.com/v1");
  });

  it("exits 78 when a param points the flow at a host it does not list, naming the param and the hosts", async () => {
    const main: FlowMain = async (context) => void context.externalUrl(String(context.params.api), "param api");
    const code = await run(taskEnv("calls-out", { DATA_FLOWS_PARAMS: '{"api":"https://elsewhere.example"}' }), main);
    expect(code).toBe(ExitCode.configurationError);
    expect(lines.join("")).toContain(
      'configuration error: param api points at host \\"elsewhere.example\\", which flow \\"calls-out\\" may not send requests to; allowedHosts of flow \\"calls-out\\": api.example.com (HTTPS only)',
    );
  });

  it.each([
    ["Local", ExitCode.success],
    ["Dev", ExitCode.configurationError],
    ["Prod", ExitCode.configurationError],
  ])("in %s, a loopback URL gives exit %i", async (environment, expected) => {
    const main: FlowMain = async (context) => void context.externalUrl(String(context.params.api), "param api");
    const env = taskEnv("calls-out", {
      DATA_FLOWS_ENV: environment,
      DATA_FLOWS_PARAMS: '{"api":"http://127.0.0.1:8080"}',
    });
    expect(await run(env, main)).toBe(expected);
  });

  it("aborts the flow on SIGTERM and exits 143", async () => {
    const stop = new AbortController();
    const pending = run(
      taskEnv("plain"),
      (context) => sleep(60_000, undefined, { signal: context.signal }),
      stop.signal,
    );
    stop.abort(new Error("SIGTERM"));
    expect(await pending).toBe(ExitCode.stopped);
  });

  it("writes metrics as structured log lines", async () => {
    await run(taskEnv("plain"), async (context) => context.metric("rowsLoaded", 1200));
    const metric = lines.map((line) => JSON.parse(line)).find((line) => line.metric);
    expect(metric).toMatchObject({
      metric: { name: "rowsLoaded", value: 1200 },
      runId: "plain/20260302T1000Z",
      attempt: 2,
    });
  });

  describe("watermarks", () => {
    const proposals: unknown[] = [];
    const runKeeper = (env: Record<string, string>, main: FlowMain) =>
      runFlow({
        env,
        registry,
        modules: { keeper: async () => ({ default: main }), plain: async () => ({ default: main }) },
        stop: new AbortController().signal,
        logger,
        watermarks: () => ({ propose: async (proposal) => void proposals.push(proposal) }),
        now: () => new Date("2026-03-02T10:04:00.000Z"),
      });
    beforeEach(() => (proposals.length = 0));

    it("gives a flow that keeps one the watermark its attempt started with", async () => {
      let watermark: string | undefined;
      await runKeeper(taskEnv("keeper", { DATA_FLOWS_WATERMARK: "2026-03-01T10:00:00.000Z" }), async (context) => {
        watermark = context.watermark;
      });
      expect(watermark).toBe("2026-03-01T10:00:00.000Z");
    });

    it("writes a proposal for its run and attempt", async () => {
      const code = await runKeeper(taskEnv("keeper"), (context) => context.proposeWatermark("2026-03-02T10:00:00Z"));
      expect(code).toBe(ExitCode.success);
      expect(proposals).toEqual([
        { runId: "keeper/20260302T1000Z", attempt: 2, value: "2026-03-02T10:00:00Z", at: "2026-03-02T10:04:00.000Z" },
      ]);
    });

    it("refuses a proposal from a flow that does not declare watermark: true (exit 78)", async () => {
      const code = await runKeeper(taskEnv("plain"), (context) => context.proposeWatermark("x"));
      expect(code).toBe(ExitCode.configurationError);
      expect(lines.join("")).toContain("declare `watermark: true` in its flow.ts");
      expect(proposals).toEqual([]);
    });

    it("refuses a watermark longer than the 1,024 characters a RunTask override can carry (exit 78)", async () => {
      const code = await runKeeper(taskEnv("keeper"), (context) => context.proposeWatermark("9".repeat(1025)));
      expect(code).toBe(ExitCode.configurationError);
      expect(proposals).toEqual([]);
    });
  });
});
