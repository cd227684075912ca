import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleLambdas } from "../.aws/bundle-lambdas";
import { environments } from "../.aws/config";
import { synthesize } from "../.aws/main";
import type { FlowInput } from "../flows/registry/flow-definition";
import { defineRegistry } from "../flows/registry/flow-registry";

function flows(count: number): FlowInput[] {
  return Array.from({ length: count }, (_, index) => ({
    name: `flow-${index}`,
    description: "benchmark flow",
    owner: "@bench",
    schedule: { cron: `${index % 60} * * * *`, timezone: "Europe/London" },
    secrets: index % 2 ? ["DBT_CLOUD_TOKEN", "DBT_CLOUD_ACCOUNT_ID"] : [],
  }));
}

/** Synth time and heap for registries of 1, 50 and 500 flows (both stacks, bundles built once beforehand). */
export async function benchSynth(print: (line: string) => void): Promise<void> {
  process.env.CHECKPOINT_DISABLE = "1";
  const work = mkdtempSync(join(tmpdir(), "data-flows-bench-"));
  const bundleStart = performance.now();
  const bundles = await bundleLambdas(join(work, "bundles"));
  print(`bundle 4 functions: ${Math.round(performance.now() - bundleStart)} ms`);
  for (const count of [1, 50, 500]) {
    const registry = defineRegistry(flows(count));
    const start = performance.now();
    synthesize({ outdir: join(work, `out-${count}`), registry, environments: Object.values(environments), bundles });
    const ms = Math.round(performance.now() - start);
    const heapMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
    print(`synth dev+prod with ${String(count).padStart(3)} flows: ${ms} ms (rss ${heapMiB} MiB)`);
  }
  rmSync(work, { recursive: true, force: true });
}
