import type { FlowRegistry } from "./registry/flow-registry";
import { defineRegistry } from "./registry/flow-registry";
import dbtNightly from "./dbt-nightly/flow";
import flakyDemo from "./flaky-demo/flow";
import helloPython from "./hello-python/flow";
import helloWorld from "./hello-world/flow";
import ordersDaily from "./orders-daily/flow";
import ordersLoadPy from "./orders-load-py/flow";
import timeoutDemo from "./timeout-demo/flow";
import watermarkDemo from "./watermark-demo/flow";

/** Every flow definition. Adding a flow here gives it its task definition, schedule, IAM, local runs and CLI entry. */
export const FLOW_DEFINITIONS = [
  helloWorld,
  flakyDemo,
  timeoutDemo,
  watermarkDemo,
  dbtNightly,
  ordersDaily,
  helloPython,
  ordersLoadPy,
];

/**
 * The validated flow registry: definitions only, so the Lambdas never bundle flow code (the runtime loads that inside
 * the container, see `flows/modules.ts`). Throws FlowDefinitionError naming every bad flow and field; nothing is
 * validated at import, so each entry point (npm start, synth, the CLI, a Lambda cold start) reports it its own way.
 */
export function loadRegistry(): FlowRegistry {
  return defineRegistry(FLOW_DEFINITIONS);
}
