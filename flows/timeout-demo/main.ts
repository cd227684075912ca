import { setTimeout as sleep } from "node:timers/promises";
import type { ParamsOf } from "../registry/flow-definition";
import type { FlowContext } from "../runtime/flow-context";
import type flow from "./flow";

export default async function timeoutDemo(context: FlowContext<ParamsOf<typeof flow>>): Promise<void> {
  const { seconds } = context.params;
  for (let elapsed = 0; elapsed < seconds; elapsed += 10) {
    context.logger.info(`still working: ${elapsed} of ${seconds} s`);
    await sleep(Math.min(10, seconds - elapsed) * 1000, undefined, { signal: context.signal });
  }
}
