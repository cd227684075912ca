import { App } from "cdktf";
import { resolve } from "node:path";
import type { FlowRegistry } from "../flows/registry/flow-registry";
import type { ControlPlaneFunctionName } from "./bundle-lambdas";
import { bundleLambdas } from "./bundle-lambdas";
import type { EnvironmentConfig } from "./config";
import { environments, resourcePrefix } from "./config";
import { DataFlowsStack } from "./stack";

/** Synthesizes one stack per environment into `outdir` (`cdktf.out/stacks/data-flows-<env>/cdk.tf.json`). */
export function synthesize(options: {
  outdir: string;
  registry: FlowRegistry;
  environments: readonly EnvironmentConfig[];
  bundles: Record<ControlPlaneFunctionName, string>;
}): void {
  const app = new App({ outdir: options.outdir, skipValidation: false });
  for (const config of options.environments) {
    new DataFlowsStack(app, resourcePrefix(config), { config, registry: options.registry, bundles: options.bundles });
  }
  app.synth();
}

// `npm run synth`: offline, no terraform binary and no cdktf-cli; the output is plain Terraform JSON.
if (require.main === module) {
  process.env.CHECKPOINT_DISABLE ??= "1";
  const root = resolve(__dirname, "..");
  void (async () => {
    const started = Date.now();
    const { registry } = await import("../flows/index");
    const bundles = await bundleLambdas(resolve(root, "dist", "lambdas"));
    const outdir = resolve(root, "cdktf.out");
    synthesize({ outdir, registry, environments: Object.values(environments), bundles });
    console.log(
      `synthesized ${Object.keys(environments)
        .map((env) => `data-flows-${env}`)
        .join(", ")} into ${outdir} in ${Date.now() - started} ms`,
    );
  })().catch((error: unknown) => {
    console.error(
      error instanceof Error && error.name === "FlowDefinitionError" ? `data-flows: ${error.message}` : error,
    );
    process.exit(1);
  });
}
