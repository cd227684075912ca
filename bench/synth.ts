import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { bundleLambdas } from "../bundling/bundle-lambdas";
import type { Rows } from "./report";
import { ratioOf } from "./report";
import { nowMs, spread } from "./stats";

const ROOT = resolve(__dirname, "..");

/** Section 6a: esbuild bundling of the four functions, timed in this process. */
export async function benchBundling(rows: Rows, runs: number): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "data-flows-bench-bundle-"));
  const samples: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const start = nowMs();
    await bundleLambdas(join(work, `run-${run}`));
    samples.push(nowMs() - start);
  }
  rmSync(work, { recursive: true, force: true });
  rows.add("esbuild: bundle the 4 functions", spread(samples), "ms", {
    note: "bundleLambdas, in process; first run cold",
  });
}

/**
 * Section 6b: synth of both stacks (dev and prod) for registries of 1, 50 and 500 flows, each synth in a fresh process
 * so its peak RSS is its own; the bundles are built once beforehand (synth zips them into assets).
 */
export function benchSynth(rows: Rows, bundles: Record<string, string>, runs: number, sizes = [1, 50, 500]): void {
  const work = mkdtempSync(join(tmpdir(), "data-flows-bench-synth-"));
  const bundlesFile = join(work, "bundles.json");
  writeFileSync(bundlesFile, JSON.stringify(bundles));
  const results: Record<number, { ms: number[]; peak: number[]; before: number[] }> = {};
  for (let run = 0; run < runs; run += 1) {
    for (const count of sizes) {
      const outdir = join(work, `out-${count}-${run}`);
      const child = spawnSync(
        process.execPath,
        ["--import", "tsx", join(__dirname, "synth-child.ts"), String(count), outdir, bundlesFile],
        {
          cwd: ROOT,
          encoding: "utf8",
          env: { ...process.env, CHECKPOINT_DISABLE: "1" },
        },
      );
      if (child.status !== 0) throw new Error(`synth of ${count} flows failed: ${child.stderr.slice(-2000)}`);
      const figures = JSON.parse(child.stdout) as { synthMs: number; peakRssMiB: number; rssBeforeMiB: number };
      const entry = (results[count] ??= { ms: [], peak: [], before: [] });
      entry.ms.push(figures.synthMs);
      entry.peak.push(figures.peakRssMiB);
      entry.before.push(figures.rssBeforeMiB);
      rmSync(outdir, { recursive: true, force: true });
    }
  }
  rmSync(work, { recursive: true, force: true });
  const first = results[sizes[0]!]!;
  for (const count of sizes) {
    const entry = results[count]!;
    const ms = spread(entry.ms);
    rows.add(`synth dev+prod, ${count} flow${count === 1 ? "" : "s"}`, ms, "ms", {
      ...(count !== sizes[0] && { ratio: ratioOf(ms, spread(first.ms), `${sizes[0]} flow`) }),
      note: "synthesize() only; bundles zipped into assets included",
    });
    rows.add(`synth dev+prod, ${count} flow${count === 1 ? "" : "s"}: peak RSS`, spread(entry.peak), "MiB", {
      note: `process RSS before synth: median ${spread(entry.before).median.toFixed(0)} MiB`,
    });
  }
}

/** Section 6c: `npm test` wall time (optional: about two minutes). */
export function benchNpmTest(rows: Rows, runs: number): void {
  const samples: number[] = [];
  let failed = 0;
  for (let run = 0; run < runs; run += 1) {
    const start = nowMs();
    const result = spawnSync("npm", ["test"], { cwd: ROOT, stdio: "ignore", env: process.env });
    samples.push((nowMs() - start) / 1000);
    if (result.status !== 0) failed += 1;
  }
  rows.add("npm test (typecheck + lint + jest)", spread(samples), "s", {
    note: failed ? `${failed} of ${runs} runs FAILED` : `${runs} run(s), all passed`,
  });
}

/** Section 6d: CLI start to first output, against bare node in the same run. */
export function benchCli(rows: Rows, runs: number): void {
  const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", NO_UPDATE_NOTIFIER: "1" };
  const variants = {
    bare: { command: process.execPath, args: ["-e", ""], samples: [] as number[] },
    help: { command: "npx", args: ["data-flows", "--help"], samples: [] as number[] },
    flows: { command: process.execPath, args: ["bin/data-flows.js", "flows"], samples: [] as number[] },
  };
  for (let run = 0; run < runs + 1; run += 1) {
    for (const variant of Object.values(variants)) {
      const ms = firstOutputMs(variant.command, variant.args, env);
      if (run > 0) variant.samples.push(ms); // run 0 warms the file cache
    }
  }
  const bare = spread(variants.bare.samples);
  rows.add("bare `node -e ''` (baseline)", bare, "ms", { note: "spawn to exit" });
  const help = spread(variants.help.samples);
  rows.add("`npx data-flows --help`: start to first output", help, "ms", { ratio: ratioOf(help, bare, "bare node") });
  const flows = spread(variants.flows.samples);
  rows.add("`node bin/data-flows.js flows`: start to first output", flows, "ms", {
    ratio: ratioOf(flows, bare, "bare node"),
  });
}

/** Milliseconds from spawn to the first byte on stdout (or to exit, for a command that prints nothing). */
function firstOutputMs(command: string, args: string[], env: NodeJS.ProcessEnv): number {
  const probe = `
const { spawn } = require("node:child_process");
const start = process.hrtime.bigint();
let first;
const child = spawn(${JSON.stringify(command)}, ${JSON.stringify(args)}, { cwd: ${JSON.stringify(ROOT)}, stdio: ["ignore", "pipe", "ignore"] });
child.stdout.once("data", () => { first ??= process.hrtime.bigint(); });
child.stdout.resume();
child.on("close", (code) => { const end = first ?? process.hrtime.bigint(); process.stdout.write(JSON.stringify({ ms: Number(end - start) / 1e6, code })); });
`;
  const result = spawnSync(process.execPath, ["-e", probe], { encoding: "utf8", env });
  const { ms, code } = JSON.parse(result.stdout) as { ms: number; code: number };
  if (code !== 0) throw new Error(`${command} ${args.join(" ")} exited ${code}`);
  return ms;
}
