"use strict";
// The `data-flows` command runs from an esbuild bundle of cli/main.ts and everything it imports, kept in dist/ and
// rebuilt whenever one of the repository files it was built from (or package-lock.json) changed. Under tsx every start
// transpiled and resolved ~100 files again (0.6–0.7 s before the first line); the bundle starts in ~0.3 s, and the
// first start after an edit pays about 1 s to rebuild. Plain JavaScript: it runs before anything could transpile.
const { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } = require("node:fs");
const { join, resolve } = require("node:path");

const ROOT = resolve(__dirname, "..");
// One level below the root, as cli/main.ts sits: `resolve(__dirname, "..")` in a bundled module is the root still.
const BUNDLE = join(ROOT, "dist", "cli.js");
const MANIFEST = join(ROOT, "dist", "cli.inputs.json");
const ALWAYS_CHECKED = ["package-lock.json", "bin/cli-bundle.js"];

/** The size and modification time of `file` (relative to the root), or null when it is gone. */
function stamp(file) {
  try {
    const stats = statSync(join(ROOT, file));
    return `${stats.size}:${stats.mtimeMs}`;
  } catch {
    return null;
  }
}

function isFresh() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(MANIFEST, "utf8"));
  } catch {
    return false;
  }
  return Object.entries(manifest.inputs).every(([file, recorded]) => stamp(file) === recorded);
}

function build() {
  const { buildSync } = require("esbuild");
  const partial = `${BUNDLE}.${process.pid}`;
  mkdirSync(join(ROOT, "dist"), { recursive: true });
  const { metafile } = buildSync({
    absWorkingDir: ROOT,
    entryPoints: ["cli/main.ts"],
    outfile: partial,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    mainFields: ["module", "main"],
    // dynalite stores through leveldb's native binding, which must load from its own package folder.
    external: ["dynalite"],
    // Not minified, no source map: a stack trace from the bundle reads as the source does.
    logLevel: "error",
    metafile: true,
  });
  const sources = Object.keys(metafile.inputs).filter((file) => !file.includes("node_modules/"));
  // In the bundle every module's __dirname is dist/: right only for a file one folder below the root, as cli/main.ts.
  const misplaced = sources.filter(
    (file) => file.split("/").length !== 2 && /\b__(dirname|filename)\b/.test(readFileSync(join(ROOT, file), "utf8")),
  );
  if (misplaced.length) throw new Error(`${misplaced.join(", ")} use __dirname, which bundling would change`);
  const inputs = Object.fromEntries([...sources, ...ALWAYS_CHECKED].map((file) => [file, stamp(file)]));
  // Renamed into place, so a command started meanwhile loads the old bundle or the new one, never half of one.
  renameSync(partial, BUNDLE);
  writeFileSync(`${MANIFEST}.${process.pid}`, JSON.stringify({ inputs }));
  renameSync(`${MANIFEST}.${process.pid}`, MANIFEST);
}

/**
 * cli/main.ts's exports, from the bundle when it can be kept fresh; from source through tsx otherwise (when
 * DATA_FLOWS_CLI_FROM_SOURCE is set, or dist/ cannot be written).
 */
function loadCli(env = process.env) {
  if (!env.DATA_FLOWS_CLI_FROM_SOURCE) {
    try {
      if (!isFresh()) build();
      return require(BUNDLE);
    } catch (error) {
      if (env.DATA_FLOWS_DEBUG) console.error(`data-flows: running from source, the CLI bundle failed: ${error}`);
    }
  }
  require("tsx/cjs");
  return require("../cli/main.ts");
}

module.exports = { loadCli, BUNDLE, MANIFEST };
