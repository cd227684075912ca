import { createHash } from "node:crypto";
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleFlows, FLOW_IMAGE_SOURCES } from "../bundling/bundle-flows";

/** How a flow process is started: its command and what it needs in its environment to find what the bundle left out. */
export interface FlowRuntimeCommand {
  command: string[];
  env: Record<string, string>;
}

/**
 * The flow runtime as the image runs it: one esbuild bundle of `flows/runtime/main.ts`, rebuilt whenever a file under `flows/` or `contracts/` is newer than it, so an edit shows at the next run as it
 * did under tsx. A process then starts in about half the time and memory it takes under tsx, which transpiles the
 * runtime at every start. A bundle that does not build fails the task (`TaskFailedToStart`) with esbuild's message.
 */
export class BundledFlowRuntime {
  private building: Promise<void> | undefined;

  constructor(
    private readonly workdir: string,
    private readonly outDir: string,
  ) {}

  async command(): Promise<FlowRuntimeCommand> {
    const entrypoint = join(this.outDir, "index.js");
    if (!existsSync(entrypoint) || newestSource(this.workdir) >= statSync(entrypoint).mtimeMs) {
      this.building ??= bundleFlows(this.outDir)
        .then(() => undefined)
        .finally(() => (this.building = undefined));
      await this.building;
    }
    return {
      command: [process.execPath, "--enable-source-maps", entrypoint],
      env: {
        // What the image installs beside the bundle (snowflake-sdk) comes from the repository's node_modules, and the
        // SQL files from beside their flows, as the Dockerfile puts them under DATA_FLOWS_SQL_DIR.
        NODE_PATH: join(this.workdir, "node_modules"),
        DATA_FLOWS_SQL_DIR: join(this.workdir, "flows"),
      },
    };
  }
}

/** The newest modification time of a source file the flow image is built from. */
function newestSource(workdir: string): number {
  let newest = 0;
  for (const folder of FLOW_IMAGE_SOURCES) {
    const root = join(workdir, folder);
    for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}

/**
 * The runtime bundle of a working tree, shared by every control plane this process starts (tests start many): built
 * once, into a folder of this process's own, and rebuilt only when a source changed.
 */
export function sharedFlowRuntime(workdir: string): BundledFlowRuntime {
  let runtime = SHARED.get(workdir);
  if (!runtime) {
    const key = createHash("sha256").update(workdir).digest("hex").slice(0, 12);
    const outDir = join(tmpdir(), `data-flows-runtime-${key}-${process.pid}`);
    runtime = new BundledFlowRuntime(workdir, outDir);
    SHARED.set(workdir, runtime);
    // Ours alone (the pid), so nothing else reads it once this process is gone.
    process.once("exit", () => rmSync(outDir, { recursive: true, force: true }));
  }
  return runtime;
}

const SHARED = new Map<string, BundledFlowRuntime>();
