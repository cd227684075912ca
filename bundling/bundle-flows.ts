import { join, resolve } from "node:path";
import { bundleEntry } from "./esbuild-bundle";

const REPOSITORY_ROOT = resolve(__dirname, "..");

/**
 * Packages the flow code cannot be bundled into one file (native or dynamically required modules): the image
 * installs them with `npm ci --omit=dev` and the bundle loads them from node_modules.
 */
export const EXTERNAL_FLOW_PACKAGES = ["snowflake-sdk"];

/** The repository folders the flow image is built from: the Dockerfile copies exactly these. */
export const FLOW_IMAGE_SOURCES = ["flows", "contracts"];

/**
 * The flow image's entrypoint: the runtime with every flow's code, as one file (`dist/flows/index.js`), and the
 * source files it was built from.
 */
export async function bundleFlows(outDir: string): Promise<{ entrypoint: string; inputs: string[] }> {
  const entrypoint = join(outDir, "index.js");
  const inputs = await bundleEntry(join(REPOSITORY_ROOT, "flows", "runtime", "main.ts"), entrypoint, {
    external: EXTERNAL_FLOW_PACKAGES,
  });
  return { entrypoint, inputs };
}

if (require.main === module) {
  void bundleFlows(resolve(REPOSITORY_ROOT, "dist", "flows")).then(({ entrypoint }) =>
    console.log(`bundled the flow runtime into ${entrypoint}`),
  );
}
