import * as z from "zod";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineRegistry } from "../../flows/registry/flow-registry";
import { runCliCapturing } from "../support/cli";

const registry = defineRegistry([
  {
    name: "orders-daily",
    description: "d",
    owner: "@data-eng",
    schedule: { cron: "0 6 * * *", timezone: "Europe/London" },
  },
  {
    name: "adhoc",
    description: "d",
    owner: "@data-eng",
    run: { image: "python", command: ["python", "flows/adhoc/main.py"] },
    params: { steps: z.coerce.number().int().default(3) },
  },
]);

const cli = (...argv: string[]) =>
  runCliCapturing(argv, {
    dataDir: mkdtempSync(join(tmpdir(), "data-flows-cli-")),
    registry,
    now: () => new Date("2026-03-28T07:00:00Z"),
    sleep: async () => undefined,
  });

describe("the data-flows CLI", () => {
  it("lists flows with their next three fires in their timezone, retries, timeout and params", async () => {
    const { code, out } = await cli("flows", "--json");
    expect(code).toBe(0);
    const [orders, adhoc] = JSON.parse(out) as Record<string, unknown>[];
    expect(orders).toMatchObject({
      name: "orders-daily",
      description: "d",
      owner: "@data-eng",
      schedule: "0 6 * * *",
      timezone: "Europe/London",
      enabled: true,
      // The clocks go forward on 2026-03-29: 06:00 in London is 06:00 UTC before, 05:00 UTC after.
      nextFires: ["2026-03-29T05:00:00.000Z", "2026-03-30T05:00:00.000Z", "2026-03-31T05:00:00.000Z"],
      upstream: [],
      retries: 0,
      timeoutMinutes: 60,
      language: "TypeScript",
      image: "node",
      command: null,
    });
    expect(adhoc).toMatchObject({
      language: "Python",
      image: "python",
      command: ["python", "flows/adhoc/main.py"],
      schedule: null,
      nextFires: [],
      params: { steps: { type: "integer", required: false, default: "3" } },
    });
  });

  it("still lists the registry when the control plane is down, saying pauses and watermarks are not shown", async () => {
    const { code, out, err } = await cli("flows");
    expect(code).toBe(0);
    expect(err).toBe(
      "data-flows: pauses and watermarks not shown: the local control plane is not running: start it with `npm start` in another terminal",
    );
    expect(out.split("\n")).toEqual([
      "orders-daily  d",
      "  owner      @data-eng",
      "  runs       TypeScript, node image",
      "  starts     0 6 * * * (Europe/London)",
      "  next fires 2026-03-29 05:00, 2026-03-30 05:00, 2026-03-31 05:00 UTC",
      "  retries    0, timeout 60 min, overlap skip",
      "",
      "adhoc  d",
      "  owner      @data-eng",
      "  runs       Python, python image: python flows/adhoc/main.py",
      "  starts     manual only",
      "  retries    0, timeout 60 min, overlap skip",
      "  params     steps (integer, default 3)",
    ]);
  });

  it("refuses an unknown flow before contacting anything", async () => {
    expect(await cli("run", "nope")).toMatchObject({
      code: 2,
      err: 'data-flows: unknown flow "nope"; known flows: orders-daily, adhoc',
    });
  });

  it.each([
    ["a typo", ["stpes=5"], 'param "stpes": unknown param (did you mean "steps"?); it takes steps'],
    [
      "a value of the wrong type",
      ["steps=abc"],
      'param "steps": Invalid input: expected number, received NaN (got "abc")',
    ],
  ])("refuses %s in a param before contacting anything, naming the param", async (_, params, message) => {
    // Nothing is running here: a request sent would fail with "not running" instead.
    const { code, err } = await cli("run", "adhoc", ...params.flatMap((param) => ["--param", param]));
    expect(code).toBe(2);
    expect(err).toBe(`data-flows: flow "adhoc": ${message}`);
  });

  it("says how to start the local control plane when it is not running", async () => {
    const { code, err } = await cli("runs");
    expect(code).toBe(2);
    expect(err).toContain("the local control plane is not running: start it with `npm start`");
  });

  it("rejects a param that is not key=value", async () => {
    const { code, err } = await cli("run", "adhoc", "--param", "oops");
    expect(code).toBe(2);
    expect(err).toContain('expected key=value, got "oops"');
  });

  it("rejects an unknown state filter, listing the states", async () => {
    const { code, err } = await cli("runs", "--state", "DONE");
    expect(code).toBe(2);
    expect(err).toContain("Allowed choices are PENDING, STARTING, RUNNING");
  });
});
