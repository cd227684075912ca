import type { ChildProcess } from "node:child_process";
import { execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { resolve } from "node:path";

/** Starting and stopping `npm start` as a developer's terminal does, for end-to-end tests and the soak. */

export const REPOSITORY_ROOT = resolve(__dirname, "..", "..");

/** `npm start` in its own process group, as a terminal runs it; resolves once it says it is ready. */
export async function startNpmStart(env: NodeJS.ProcessEnv, started: ChildProcess[]) {
  const child = spawn("npm", ["start"], {
    cwd: REPOSITORY_ROOT,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.push(child);
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  // The control plane holds npm's output pipes until it has exited, whatever npm itself does with the signal.
  const exited = Promise.all([
    new Promise<void>((done) => child.once("exit", () => done())),
    new Promise<void>((done) => child.stdout!.once("close", () => done())),
    new Promise<void>((done) => child.stderr!.once("close", () => done())),
  ]).then(() => output);
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}:\n${output}`);
    return output.includes("Ctrl-C stops") || undefined;
  });
  return { child, exited, output: () => output };
}

export function ps(field: string, pid: string): string {
  return execFileSync("ps", ["-o", `${field}=`, "-p", pid], { encoding: "utf8" }).trim();
}

export function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const giveUp = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > giveUp) throw new Error("condition not met in time");
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** A port whose successor is free too: the invoke API takes one, dynalite the next. */
export async function freePortPair(): Promise<number> {
  const listen = (port: number) =>
    new Promise<number | undefined>((resolveListen) => {
      const server = createServer();
      server.once("error", () => resolveListen(undefined));
      server.listen(port, "127.0.0.1", () => {
        const { port: bound } = server.address() as { port: number };
        server.close(() => resolveListen(bound));
      });
    });
  for (;;) {
    const port = await listen(0);
    if (port && port < 65535 && (await listen(port + 1))) return port;
  }
}

/** The control plane's own process (npm's child), as it wrote it into the data folder. */
export function controlPlanePid(dataDir: string): number {
  return (JSON.parse(readFileSync(`${dataDir}/local.json`, "utf8")) as { pid: number }).pid;
}

/** Whether /proc lets a test see other processes' environments (Linux); elsewhere orphan checks are skipped. */
export const CAN_SEE_PROCESSES = process.platform === "linux";

/** Live processes running a task of one of these runs (read from their DATA_FLOWS_RUN_ID), by pid. */
export function flowProcessesOf(runIds: ReadonlySet<string>): Map<number, string> {
  const found = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      const runId = environ.find((variable) => variable.startsWith("DATA_FLOWS_RUN_ID="))?.slice(18);
      if (runId && runIds.has(runId)) found.set(Number(entry), runId);
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}
