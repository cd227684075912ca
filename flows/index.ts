import { defineRegistry } from "./registry/flow-registry";
import dbtNightly from "./dbt-nightly/flow";
import flakyDemo from "./flaky-demo/flow";
import helloWorld from "./hello-world/flow";
import ordersDaily from "./orders-daily/flow";
import timeoutDemo from "./timeout-demo/flow";

/**
 * The flow registry. Adding a flow here is all it takes to get its task definition, schedule, IAM, local runs and CLI
 * entry. Definitions only: flow code is loaded inside the container (see `flows/modules.ts`), never by the Lambdas.
 */
export const registry = defineRegistry([helloWorld, flakyDemo, timeoutDemo, dbtNightly, ordersDaily]);
