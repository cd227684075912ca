import { join, resolve } from "node:path";
import { bundleEntry } from "./esbuild-bundle";

const REPOSITORY_ROOT = resolve(__dirname, "..");

/**
 * Packages the flow code cannot be bundled into one file (native or dynamically required modules): the image
 * installs them with `npm ci --omit=dev` and the bundle loads them from node_modules.
 */
export const EXTERNAL_FLOW_PACKAGES = ["snowflake-sdk"];

/** The flow image's entrypoint: the runtime with every flow's code, as one file (`dist/flows/index.js`). */
export async function bundleFlows(outDir: string): Promise<string> {
  const outfile = join(outDir, "index.js");
  await bundleEntry(join(REPOSITORY_ROOT, "flows", "runtime", "main.ts"), outfile, EXTERNAL_FLOW_PACKAGES);
  return outfile;
}

if (require.main === module) {
  void bundleFlows(resolve(REPOSITORY_ROOT, "dist", "flows")).then((file) =>
    console.log(`bundled the flow runtime into ${file}`),
  );
}
