import { App } from "cdktf";
import { resolve } from "node:path";
import type { ControlPlaneFunctionName } from "../contracts/control-plane";
import { loadRegistry } from "../flows/index";
import type { FlowRegistry } from "../flows/registry/flow-registry";
import { loadRegistryOrReport } from "../flows/registry/flow-registry";
import { bundleLambdas } from "../bundling/bundle-lambdas";
import type { EnvironmentConfig } from "./config";
import { environments, namesOf } from "./config";
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
    new DataFlowsStack(app, namesOf(config).prefix, { config, registry: options.registry, bundles: options.bundles });
  }
  app.synth();
}

/** `npm run synth`: offline, no terraform binary and no cdktf-cli; the output is plain Terraform JSON. Exit code 0 or 1. */
export async function main(root = resolve(__dirname, "..")): Promise<number> {
  process.env.CHECKPOINT_DISABLE ??= "1";
  const started = Date.now();
  const registry = loadRegistryOrReport(loadRegistry, (line) => console.error(line));
  if (!registry) return 1;
  const bundles = await bundleLambdas(resolve(root, "dist", "lambdas"));
  const outdir = resolve(root, "cdktf.out");
  synthesize({ outdir, registry, environments: Object.values(environments), bundles });
  const stacks = Object.values(environments).map((config) => namesOf(config).prefix);
  console.log(`synthesized ${stacks.join(", ")} into ${outdir} in ${Date.now() - started} ms`);
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
