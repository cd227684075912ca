import type { FlowMain } from "./runtime/flow-context";

/**
 * The code of each flow, loaded lazily by the runtime inside the container so a flow's dependencies stay its own.
 * Each flow's code takes its own typed params, hence `FlowMain<never>`: the runtime reads them with that flow's schemas.
 */
export const flowModules: Readonly<Record<string, () => Promise<{ default: FlowMain<never> }>>> = {
  "dbt-nightly": () => import("./dbt-nightly/main"),
  "flaky-demo": () => import("./flaky-demo/main"),
  "hello-world": () => import("./hello-world/main"),
  "orders-daily": () => import("./orders-daily/main"),
  "timeout-demo": () => import("./timeout-demo/main"),
  "watermark-demo": () => import("./watermark-demo/main"),
};
