import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateRawSync } from "node:zlib";
import type { Rows } from "./report";
import { ratioOf } from "./report";
import { exact, nowMs, spread } from "./stats";

export type BundleDirs = Record<string, string>;

/** What section 1 measured, for other sections (the burst simulation uses the launcher's cold load as its init). */
export interface BundleFigures {
  coldLoadMs: Record<string, { plain: number; sourceMaps: number }>;
  bareNodeMs: number;
  zipTool: string;
}

/**
 * Section 1. Per function: the bundle's size raw and zipped (as Lambda receives it: the folder zipped), with and without
 * its source map; the time a fresh `node` takes to load it (require, then exit), against bare `node -e` in the same
 * run, with and without `--enable-source-maps` (the functions run with NODE_OPTIONS=--enable-source-maps).
 */
export function benchBundles(
  rows: Rows,
  bundles: BundleDirs,
  loadRuns: number,
  cdktfArchives: BundleDirs,
): BundleFigures {
  const zipTool = hasZipCli() ? "zip -9 -X -r (Info-ZIP CLI)" : "zlib deflate level 9 + zip headers (no zip CLI)";
  const work = mkdtempSync(join(tmpdir(), "data-flows-bench-zip-"));
  for (const [name, dir] of Object.entries(bundles)) {
    const files = readdirSync(dir);
    const code = files.filter((file) => !file.endsWith(".map"));
    const bytes = (list: string[]) => list.reduce((sum, file) => sum + statSync(join(dir, file)).size, 0);
    rows.add(`${name}: bundle raw, with source map`, exact(bytes(files) / 1024), "KiB", { note: files.join(" + ") });
    rows.add(`${name}: bundle raw, without source map`, exact(bytes(code) / 1024), "KiB");
    rows.add(`${name}: zipped, with source map`, exact(zippedBytes(dir, files, work, `${name}-all`) / 1024), "KiB", {
      note: zipTool,
    });
    rows.add(`${name}: zipped, without source map`, exact(zippedBytes(dir, code, work, `${name}-code`) / 1024), "KiB", {
      note: zipTool,
    });
    const archive = cdktfArchives[name];
    if (archive && existsSync(archive)) {
      rows.add(`${name}: zip the stack deploys (CDKTF asset)`, exact(statSync(archive).size / 1024), "KiB", {
        note: "archive.zip synthesized by npm run synth's code path (archiver, level 9)",
      });
    }
  }
  rmSync(work, { recursive: true, force: true });

  // Interleaved so that drift (thermal, other load) spreads over every variant alike.
  const bare: number[] = [];
  const bareRss: number[] = [];
  const loads: Record<string, { plain: number[]; maps: number[]; rss: number[]; mapsRss: number[] }> = {};
  for (const name of Object.keys(bundles)) loads[name] = { plain: [], maps: [], rss: [], mapsRss: [] };
  for (let run = 0; run < loadRuns + 1; run += 1) {
    const warmup = run === 0; // the first spawn of each variant pays the file cache
    const b = timedNode([], undefined);
    if (!warmup) {
      bare.push(b.ms);
      bareRss.push(b.maxRssMiB);
    }
    for (const [name, dir] of Object.entries(bundles)) {
      const entry = join(dir, "index.js");
      const plain = timedNode([], entry);
      const maps = timedNode(["--enable-source-maps"], entry);
      if (warmup) continue;
      loads[name]!.plain.push(plain.ms);
      loads[name]!.maps.push(maps.ms);
      loads[name]!.rss.push(plain.maxRssMiB);
      loads[name]!.mapsRss.push(maps.maxRssMiB);
    }
  }
  const bareSpread = spread(bare);
  rows.add("bare `node -e` (baseline)", bareSpread, "ms", { note: `fresh process, ${process.version}` });
  rows.add("bare `node -e`: peak RSS", spread(bareRss), "MiB", {});
  const coldLoadMs: BundleFigures["coldLoadMs"] = {};
  for (const [name, samples] of Object.entries(loads)) {
    const plain = spread(samples.plain);
    const maps = spread(samples.maps);
    rows.add(`${name}: cold load (fresh node, require bundle)`, plain, "ms", {
      ratio: ratioOf(plain, bareSpread, "bare node"),
    });
    rows.add(`${name}: cold load with --enable-source-maps`, maps, "ms", {
      ratio: ratioOf(maps, bareSpread, "bare node"),
      note: `${((maps.median / plain.median - 1) * 100).toFixed(0)}% over the same load without`,
    });
    rows.add(`${name}: cold load peak RSS (without / with maps)`, spread(samples.rss), "MiB", {
      note: `with --enable-source-maps: median ${spread(samples.mapsRss).median.toFixed(1)} MiB`,
    });
    coldLoadMs[name] = { plain: plain.median, sourceMaps: maps.median };
  }
  return { coldLoadMs, bareNodeMs: bareSpread.median, zipTool };
}

/** Spawns a fresh node that optionally requires `entry`, then prints its peak RSS; returns wall time and that RSS. */
function timedNode(flags: string[], entry: string | undefined): { ms: number; maxRssMiB: number } {
  // Peak RSS from VmHWM (reset at exec); resourceUsage().maxRSS would start from this process's own peak.
  const peak =
    'let m;try{m=/VmHWM:\\s+(\\d+)/.exec(require("fs").readFileSync("/proc/self/status","utf8"))}catch{}' +
    "process.stdout.write(String(m?Number(m[1]):process.resourceUsage().maxRSS))";
  const script = `${entry ? `require(${JSON.stringify(entry)});` : ""}${peak}`;
  const start = nowMs();
  const result = spawnSync(process.execPath, [...flags, "-e", script], {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });
  const ms = nowMs() - start;
  if (result.status !== 0) throw new Error(`node ${flags.join(" ")} ${entry ?? ""} failed: ${result.stderr}`);
  return { ms, maxRssMiB: Number(result.stdout.trim()) / 1024 };
}

function hasZipCli(): boolean {
  return spawnSync("zip", ["-v"], { encoding: "utf8" }).status === 0;
}

/** The size of a zip of `files` from `dir`, made with the zip CLI when present, else estimated with zlib. */
function zippedBytes(dir: string, files: string[], work: string, label: string): number {
  if (hasZipCli()) {
    const staging = join(work, label);
    mkdirSync(staging, { recursive: true });
    for (const file of files) copyFileSync(join(dir, file), join(staging, file));
    const out = join(work, `${label}.zip`);
    const result = spawnSync("zip", ["-q", "-X", "-9", "-r", out, "."], { cwd: staging, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`zip failed: ${result.stderr}`);
    return statSync(out).size;
  }
  // Local file header (30) + central directory entry (46) + the name twice, per file; end of central directory (22).
  return (
    files.reduce(
      (sum, file) => sum + deflateRawSync(readFileSync(join(dir, file)), { level: 9 }).length + 76 + 2 * file.length,
      0,
    ) + 22
  );
}
