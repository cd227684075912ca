import { setTimeout as sleep } from "node:timers/promises";
import type { FlowContext } from "../runtime/flow-context";

export default async function helloWorld(context: FlowContext): Promise<void> {
  const steps = Number(context.params.steps ?? "3");
  for (let step = 1; step <= steps; step += 1) {
    context.logger.info(`hello from step ${step} of ${steps}`);
    await sleep(200, undefined, { signal: context.signal });
  }
  context.metric("steps", steps);
  if (context.params.fail === "true") throw new Error("failing on demand (param fail=true)");
}
