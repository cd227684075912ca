import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runOverrides, TaskEnv } from "../contracts/task-environment";
import { BundledFlowRuntime } from "../local/bundled-flow-runtime";
import { findPython, pythonFlowCommand } from "../local/python-interpreter";
import type { Rows } from "./report";
import { ratioOf } from "./report";
import { spread } from "./stats";

const ROOT = resolve(__dirname, "..");
/** GNU time (Debian's `time` package): peak RSS of a child, which Node's spawnSync does not report. */
const GNU_TIME = "/usr/bin/time";

/** The environment a flow container gets for one attempt of `flow`, as the local runner builds it. */
function contractEnv(flow: string): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    [TaskEnv.flow]: flow,
    [TaskEnv.environment]: "Local",
    [TaskEnv.secretNames]: "",
    [TaskEnv.logLevel]: "INFO",
  };
  for (const { name, value } of runOverrides({
    runId: `${flow}/m20261203T120000Z-bench`,
    attempt: 1,
    params: { steps: "1", fail: "false" }, // effective params, defaults included, as the launcher passes them
    dataInterval: { start: "2026-12-03T11:00:00.000Z", end: "2026-12-03T12:00:00.000Z" },
  }))
    env[name] = value;
  return env;
}

/** Wall milliseconds from spawn to exit, and peak RSS in MiB (when GNU time is installed). */
function measure(command: string[], env: Record<string, string>): { ms: number; rssMiB?: number } {
  const timed = existsSync(GNU_TIME) ? [GNU_TIME, "-f", "%M", ...command] : command;
  const started = process.hrtime.bigint();
  const result = spawnSync(timed[0]!, timed.slice(1), { cwd: ROOT, env, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0)
    throw new Error(`${command.join(" ")} exited ${result.status}: ${result.stderr.slice(-500)}`);
  const kib = Number(result.stderr.trim().split("\n").at(-1));
  return { ms, ...(timed !== command && Number.isFinite(kib) && { rssMiB: kib / 1024 }) };
}

interface Variant {
  name: string;
  command: string[];
  env: Record<string, string>;
  baseline?: string;
}

function pairWithBaseline(baseline: Variant, flow: Variant): Variant[] {
  return [baseline, { ...flow, baseline: baseline.name }];
}

/**
 * One attempt of a one-step flow, start to exit, per image as `npm start` runs it: hello-world from the runtime's
 * esbuild bundle under node, hello-python under python3 with the data_flows helper. Both sleep 200 ms in their one
 * step; each is compared with its bare interpreter.
 */
export async function benchFlowProcesses(rows: Rows, runs: number): Promise<void> {
  const outDir = mkdtempSync(join(tmpdir(), "data-flows-bench-runtime-"));
  try {
    const node = await new BundledFlowRuntime(ROOT, outDir).command();
    const python = findPython(process.env);
    const hostPath = { PATH: process.env.PATH ?? "" };
    const variants: Variant[] = pairWithBaseline(
      { name: "bare `node -e ''` (baseline)", command: [process.execPath, "-e", ""], env: hostPath },
      {
        name: "hello-world (TypeScript, bundled runtime), steps=1",
        command: node.command,
        env: { ...contractEnv("hello-world"), ...node.env },
      },
    );
    if (python.ok) {
      const flow = pythonFlowCommand(["python", "flows/hello-python/main.py"], python, ROOT);
      variants.push(
        ...pairWithBaseline(
          { name: "bare `python3 -c ''` (baseline)", command: [python.executable, "-c", ""], env: hostPath },
          {
            name: "hello-python (Python, data_flows helper), steps=1",
            command: flow.command,
            env: { ...contractEnv("hello-python"), ...flow.env },
          },
        ),
      );
    }
    const samples = new Map(variants.map((variant) => [variant.name, { ms: [] as number[], rss: [] as number[] }]));
    for (let run = 0; run <= runs; run += 1) {
      for (const variant of variants) {
        const { ms, rssMiB } = measure(variant.command, variant.env);
        if (run === 0) continue; // warms the file cache
        samples.get(variant.name)!.ms.push(ms);
        if (rssMiB !== undefined) samples.get(variant.name)!.rss.push(rssMiB);
      }
    }
    for (const variant of variants) {
      const own = samples.get(variant.name)!;
      const base = variant.baseline ? samples.get(variant.baseline) : undefined;
      const wall = spread(own.ms);
      rows.add(`${variant.name}: spawn to exit`, wall, "ms", {
        ...(base && { ratio: ratioOf(wall, spread(base.ms), variant.baseline!) }),
        ...(variant.baseline && { note: "includes the flow's 200 ms step" }),
      });
      if (own.rss.length) {
        const rss = spread(own.rss);
        rows.add(`${variant.name}: peak RSS`, rss, "MiB", {
          ...(base?.rss.length && { ratio: ratioOf(rss, spread(base.rss), variant.baseline!) }),
        });
      }
    }
    if (!python.ok) rows.add("hello-python", spread([]), "ms", { note: `not measured: ${python.problem}` });
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
