import { runCli } from "../../cli/main";
import type { FlowRegistry } from "../../flows/registry/flow-registry";

/**
 * Runs the CLI in-process against a data folder and collects what it prints and its exit code; `onOut` sees each line
 * of standard output as it is printed.
 */
export async function runCliCapturing(
  argv: readonly string[],
  options: {
    dataDir: string;
    registry: FlowRegistry;
    now?: () => Date;
    sleep?: (ms: number) => Promise<void>;
    onOut?: (line: string) => void;
  },
) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(
    argv,
    {
      out: (line) => {
        out.push(line);
        options.onOut?.(line);
      },
      err: (line) => err.push(line),
      env: { DATA_FLOWS_DATA_DIR: options.dataDir },
      now: options.now ?? (() => new Date()),
      sleep: options.sleep ?? ((ms) => new Promise((done) => setTimeout(done, ms))),
    },
    () => options.registry,
  );
  return { code, out: out.join("\n"), err: err.join("\n") };
}
