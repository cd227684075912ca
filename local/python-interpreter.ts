import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { MINIMUM_PYTHON, PYTHON_HELPER_DIR } from "../contracts/flow-images";
import type { FlowRuntimeCommand } from "./bundled-flow-runtime";

/** The Python a local Python flow runs under: the image's `python` is this machine's python3 (or DATA_FLOWS_PYTHON). */
export type PythonInterpreter = { ok: true; executable: string; version: string } | { ok: false; problem: string };

/** The programs a Python flow's command may start with: in the image both are its Python. */
const PYTHON_PROGRAMS = new Set(["python", "python3"]);

/**
 * Finds the interpreter once, at start: `DATA_FLOWS_PYTHON`, else `python3` on the shell's PATH, and checks it is at
 * least the version the `data_flows` helper needs. Never throws: a machine without Python still runs every other flow.
 */
export function findPython(hostEnv: NodeJS.ProcessEnv): PythonInterpreter {
  const executable = hostEnv.DATA_FLOWS_PYTHON || "python3";
  const probe = spawnSync(
    executable,
    ["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3]); print(sys.executable)"],
    {
      env: { PATH: hostEnv.PATH ?? "" },
      encoding: "utf8",
      timeout: 10_000,
    },
  );
  const wanted = `${MINIMUM_PYTHON.major}.${MINIMUM_PYTHON.minor}`;
  if (probe.error || probe.status !== 0) {
    const why = probe.error
      ? ((probe.error as NodeJS.ErrnoException).code ?? probe.error.message)
      : `exit ${probe.status}`;
    return {
      ok: false,
      problem: `${executable} is not usable here (${why}): install Python ${wanted} or newer (Debian: apt-get install python3), or point DATA_FLOWS_PYTHON at one`,
    };
  }
  const [version = "", resolved = ""] = probe.stdout.trim().split("\n");
  const [major = 0, minor = 0] = version.split(".").map(Number);
  if (major < MINIMUM_PYTHON.major || (major === MINIMUM_PYTHON.major && minor < MINIMUM_PYTHON.minor)) {
    return {
      ok: false,
      problem: `${executable} is Python ${version}; the data_flows helper needs ${wanted} or newer: install it, or point DATA_FLOWS_PYTHON at one`,
    };
  }
  // The interpreter itself, not the name on PATH: a version manager's shim (pyenv's is a shell script) costs ~250 ms
  // at every start, and a flow run should not pay it.
  return { ok: true, executable: resolved || executable, version };
}

/**
 * How a Python flow's command runs on this machine: as the image runs it (from the repository root, as /app), with
 * the interpreter found above in place of `python`, and the `data_flows` helper on the path as the image installs it.
 * Throws the interpreter's problem, which the runner reports as a container that could not start.
 */
export function pythonFlowCommand(
  command: readonly string[],
  python: PythonInterpreter,
  workdir: string,
): FlowRuntimeCommand {
  if (!python.ok) throw new Error(python.problem);
  const [program, ...args] = command;
  return {
    command: [program !== undefined && PYTHON_PROGRAMS.has(program) ? python.executable : program!, ...args],
    env: {
      PYTHONPATH: join(workdir, PYTHON_HELPER_DIR),
      // Each log line reaches the log file as it is printed, and nothing is written beside the code (read-only in AWS).
      PYTHONUNBUFFERED: "1",
      PYTHONDONTWRITEBYTECODE: "1",
    },
  };
}
