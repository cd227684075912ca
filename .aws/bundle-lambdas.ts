import { build } from "esbuild";
import { join, resolve } from "node:path";

/** The control-plane functions; each is `lambdas/<name>.ts` exporting `handler`. */
export const CONTROL_PLANE_FUNCTIONS = ["launcher", "recorder", "alerter", "reaper"] as const;
export type ControlPlaneFunctionName = (typeof CONTROL_PLANE_FUNCTIONS)[number];

const REPOSITORY_ROOT = resolve(__dirname, "..");

/**
 * Bundles each function with esbuild: the AWS SDK included (so the code runs against the SDK version it was tested
 * with), ESM entry points preferred for tree-shaking, minified, with source maps. Returns each bundle's folder.
 */
export async function bundleLambdas(outDir: string): Promise<Record<ControlPlaneFunctionName, string>> {
  const dirs = {} as Record<ControlPlaneFunctionName, string>;
  await Promise.all(
    CONTROL_PLANE_FUNCTIONS.map(async (name) => {
      const dir = join(outDir, name);
      await build({
        entryPoints: [join(REPOSITORY_ROOT, "lambdas", `${name}.ts`)],
        outfile: join(dir, "index.js"),
        bundle: true,
        platform: "node",
        target: "node22",
        format: "cjs",
        mainFields: ["module", "main"],
        minify: true,
        sourcemap: true,
        sourcesContent: false,
        legalComments: "none",
        logLevel: "warning",
      });
      dirs[name] = dir;
    }),
  );
  return dirs;
}

if (require.main === module) {
  const outDir = resolve(REPOSITORY_ROOT, "dist", "lambdas");
  void bundleLambdas(outDir).then((dirs) => console.log(`bundled ${Object.keys(dirs).join(", ")} into ${outDir}`));
}
