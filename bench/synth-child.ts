/**
 * One synth in a fresh process, so its peak memory is its own: `tsx bench/synth-child.ts <flows> <outdir> <bundles.json>`.
 * Prints `{ synthMs, peakRssMiB, rssBeforeMiB }` as JSON on stdout.
 */
import { readFileSync } from "node:fs";
import type { ControlPlaneFunctionName } from "../contracts/control-plane";
import { environments } from "../.aws/config";
import { synthesize } from "../.aws/main";
import type { FlowInput } from "../flows/registry/flow-definition";
import { defineRegistry } from "../flows/registry/flow-registry";
import { peakRssMiB } from "./stats";

/** A registry of `count` flows, half of them declaring secrets (so execution roles are shared, as at scale). */
export function synthFlows(count: number): FlowInput[] {
  return Array.from({ length: count }, (_, index) => ({
    name: `flow-${index}`,
    description: "benchmark flow",
    owner: "@bench",
    schedule: { cron: `${index % 60} * * * *`, timezone: "Europe/London" },
    secrets: index % 2 ? ["DBT_CLOUD_TOKEN", "DBT_CLOUD_ACCOUNT_ID"] : [],
  }));
}

if (require.main === module) {
  process.env.CHECKPOINT_DISABLE = "1";
  const [count, outdir, bundlesFile] = process.argv.slice(2);
  const bundles = JSON.parse(readFileSync(bundlesFile!, "utf8")) as Record<ControlPlaneFunctionName, string>;
  const registry = defineRegistry(synthFlows(Number(count)));
  const rssBeforeMiB = process.memoryUsage().rss / 2 ** 20;
  const start = performance.now();
  synthesize({ outdir: outdir!, registry, environments: Object.values(environments), bundles });
  const synthMs = performance.now() - start;
  process.stdout.write(JSON.stringify({ synthMs, peakRssMiB: peakRssMiB(), rssBeforeMiB }));
}
