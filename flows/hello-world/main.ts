import { setTimeout as sleep } from "node:timers/promises";
import type { ParamsOf } from "../registry/flow-definition";
import type { FlowContext } from "../runtime/flow-context";
import type flow from "./flow";

export default async function helloWorld(context: FlowContext<ParamsOf<typeof flow>>): Promise<void> {
  const { steps, fail } = context.params;
  for (let step = 1; step <= steps; step += 1) {
    context.logger.info(`hello from step ${step} of ${steps}`);
    await sleep(200, undefined, { signal: context.signal });
  }
  context.metric("steps", steps);
  if (fail) throw new Error("failing on demand (param fail=true)");
}
