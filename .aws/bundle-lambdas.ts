import { join, resolve } from "node:path";
import { bundleEntry } from "../scripts/esbuild-bundle";

/** The control-plane functions; each is `lambdas/<name>.ts` exporting `handler`. */
export const CONTROL_PLANE_FUNCTIONS = ["launcher", "recorder", "alerter", "reaper"] as const;
export type ControlPlaneFunctionName = (typeof CONTROL_PLANE_FUNCTIONS)[number];

const REPOSITORY_ROOT = resolve(__dirname, "..");

/** Bundles each function into `<outDir>/<name>/index.js` (+ source map) and returns each bundle's folder. */
export async function bundleLambdas(outDir: string): Promise<Record<ControlPlaneFunctionName, string>> {
  const dirs = {} as Record<ControlPlaneFunctionName, string>;
  await Promise.all(
    CONTROL_PLANE_FUNCTIONS.map(async (name) => {
      dirs[name] = join(outDir, name);
      await bundleEntry(join(REPOSITORY_ROOT, "lambdas", `${name}.ts`), join(dirs[name], "index.js"));
    }),
  );
  return dirs;
}

if (require.main === module) {
  const outDir = resolve(REPOSITORY_ROOT, "dist", "lambdas");
  void bundleLambdas(outDir).then((dirs) => console.log(`bundled ${Object.keys(dirs).join(", ")} into ${outDir}`));
}
