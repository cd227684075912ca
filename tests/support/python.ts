import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { PYTHON_HELPER_DIR } from "../../contracts/flow-images";
import { findPython } from "../../local/python-interpreter";

const ROOT = join(__dirname, "..", "..");

/** This machine's python3 as the local control plane finds it; tests of Python flows skip, saying why, without it. */
export const python = findPython(process.env);
if (!python.ok) console.warn(`skipping the Python flow tests: ${python.problem}`);
export const describeWithPython = python.ok ? describe : describe.skip;

/** Runs Python code with the data_flows helper importable, `input` on stdin; returns what it printed (throws on exit ≠ 0). */
export function runPython(code: string, input = "", env: Record<string, string> = {}): string {
  if (!python.ok) throw new Error(python.problem);
  const result = spawnSync(python.executable, ["-c", code], {
    cwd: ROOT,
    input,
    encoding: "utf8",
    env: {
      PATH: process.env.PATH ?? "",
      PYTHONPATH: join(ROOT, PYTHON_HELPER_DIR),
      PYTHONDONTWRITEBYTECODE: "1",
      ...env,
    },
  });
  if (result.status !== 0) throw new Error(`python exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}
