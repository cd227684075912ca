import type { ChildProcess } from "node:child_process";
import { spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";

/**
 * moto's server: an AWS API emulator nobody here wrote (`python3 -m moto.server`, moto 5 on the machine image, which
 * `.ci/run` uses). A check that needs it says plainly that it skipped when this machine lacks it.
 */
export const MOTO_SKIP_REASON: string | undefined = (() => {
  const probe = spawnSync("python3", ["-c", "import moto.server, flask, werkzeug"], { encoding: "utf8" });
  if (probe.error) return "no python3 on this machine";
  return probe.status === 0 ? undefined : "python3 has no moto server (pip install 'moto[server]')";
})();

export interface Moto {
  endpoint: string;
  /** Credentials and region the SDK clients pass to reach it (moto accepts any). */
  clientConfig: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  stop(): Promise<void>;
}

/** Starts moto's server on a port of the kernel's choosing, resolved once it listens. */
export async function startMoto(accountId = "111122223333"): Promise<Moto> {
  const child: ChildProcess = spawn("python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", "0"], {
    env: { ...process.env, MOTO_ACCOUNT_ID: accountId },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stderr! });
    const said: string[] = [];
    lines.on("line", (line) => {
      said.push(line);
      said.splice(0, said.length - 20); // it logs every request: keep what would explain an early exit
      const bound = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (bound) resolve(bound[1]!);
    });
    child.once("exit", (code) => reject(new Error(`moto exited (${code}) before listening: ${said.join(" | ")}`)));
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    endpoint,
    clientConfig: { endpoint, region: "eu-west-1", credentials: { accessKeyId: "moto", secretAccessKey: "moto" } },
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}
