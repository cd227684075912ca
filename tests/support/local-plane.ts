import { resolve } from "node:path";
import type { FlowRegistry } from "../../flows/registry/flow-registry";
import type { LocalControlPlane, LocalControlPlaneOptions } from "../../local/control-plane";
import { startLocalControlPlane } from "../../local/control-plane";

/**
 * The control plane `npm start` runs, in this process, on ephemeral ports, with no schedule, no reaper timer and no
 * console output: a test drives it through its invoke API or the CLI and changes only what it is about.
 */
export function startQuietControlPlane(
  registry: FlowRegistry,
  dataDir: string,
  overrides: Partial<LocalControlPlaneOptions> = {},
): Promise<LocalControlPlane> {
  return startLocalControlPlane({
    registry,
    dataDir,
    persist: false,
    apiPort: 0,
    dynamoPort: 0,
    schedule: false,
    reaperIntervalMs: 0,
    workdir: resolve(__dirname, "..", ".."),
    hostEnv: { PATH: process.env.PATH },
    write: () => undefined,
    colour: false,
    ...overrides,
  });
}
