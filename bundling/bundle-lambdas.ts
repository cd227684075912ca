import { join, resolve } from "node:path";
import type { ControlPlaneFunctionName } from "../contracts/control-plane";
import { CONTROL_PLANE_FUNCTIONS } from "../contracts/control-plane";
import { bundleEntry } from "./esbuild-bundle";

const REPOSITORY_ROOT = resolve(__dirname, "..");
/** Inside Lambda the SDK's credentials are always in the environment: see that module. */
const LAMBDA_CREDENTIALS = join(REPOSITORY_ROOT, "lambdas", "aws", "lambda-credentials.ts");

/** Bundles each function (`lambdas/<name>.ts`, exporting `handler`) into `<outDir>/<name>/index.js` (+ source map) and returns each bundle's folder. */
export async function bundleLambdas(outDir: string): Promise<Record<ControlPlaneFunctionName, string>> {
  const dirs = {} as Record<ControlPlaneFunctionName, string>;
  await Promise.all(
    CONTROL_PLANE_FUNCTIONS.map(async (name) => {
      dirs[name] = join(outDir, name);
      await bundleEntry(join(REPOSITORY_ROOT, "lambdas", `${name}.ts`), join(dirs[name], "index.js"), {
        alias: { "@aws-sdk/credential-provider-node": LAMBDA_CREDENTIALS },
      });
    }),
  );
  return dirs;
}

if (require.main === module) {
  const outDir = resolve(REPOSITORY_ROOT, "dist", "lambdas");
  void bundleLambdas(outDir).then((dirs) => console.log(`bundled ${Object.keys(dirs).join(", ")} into ${outDir}`));
}
