import { setTimeout as sleep } from "node:timers/promises";
import type { FlowContext } from "../runtime/flow-context";

export default async function timeoutDemo(context: FlowContext): Promise<void> {
  const seconds = Number(context.params.seconds ?? "300");
  for (let elapsed = 0; elapsed < seconds; elapsed += 10) {
    context.logger.info(`still working: ${elapsed} of ${seconds} s`);
    await sleep(Math.min(10, seconds - elapsed) * 1000, undefined, { signal: context.signal });
  }
}
