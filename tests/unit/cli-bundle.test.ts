import { spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");
const BIN = join(ROOT, "bin", "data-flows.js");
const MANIFEST = join(ROOT, "dist", "cli.inputs.json");

/** `data-flows …` as a user runs it; DATA_FLOWS_DEBUG makes a fallback to source say so on stderr. */
function dataFlows(args: string[], env: Record<string, string> = {}) {
  const { stdout, stderr } = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, DATA_FLOWS_DEBUG: "1", DATA_FLOWS_DATA_DIR: "/nonexistent/data-flows", ...env },
  });
  return { stdout, stderr };
}

describe("the data-flows command's bundle (bin/cli-bundle.js)", () => {
  const fromBundle = dataFlows(["flows", "--json"]);

  it("runs from the bundle, not falling back to the sources", () => {
    expect(fromBundle.stderr).not.toContain("running from source");
  });

  it("prints what the sources print when run through tsx", () => {
    expect(fromBundle.stdout).toBe(dataFlows(["flows", "--json"], { DATA_FLOWS_CLI_FROM_SOURCE: "1" }).stdout);
    expect(JSON.parse(fromBundle.stdout)).toEqual(expect.anything());
  });

  it("records every repository source it was built from, with its size and time, to know when to rebuild", () => {
    const { inputs } = JSON.parse(readFileSync(MANIFEST, "utf8")) as { inputs: Record<string, string> };
    expect(Object.keys(inputs)).toEqual(
      expect.arrayContaining(["cli/main.ts", "flows/index.ts", "lambdas/core/run-state.ts", "package-lock.json"]),
    );
    const { size, mtimeMs } = statSync(join(ROOT, "cli", "main.ts"));
    expect(inputs["cli/main.ts"]).toBe(`${size}:${mtimeMs}`);
    expect(Object.keys(inputs).some((file) => file.includes("node_modules"))).toBe(false);
  });
});
