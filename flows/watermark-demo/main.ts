import type { ParamsOf } from "../registry/flow-definition";
import type { FlowContext } from "../runtime/flow-context";
import type flow from "./flow";

/**
 * The classic incremental extract: everything updated after the watermark, up to now. A real flow would query
 * `WHERE updated_at > :watermark` and propose the greatest `updated_at` it loaded; this one proposes when it ran.
 */
export default async function watermarkDemo(context: FlowContext<ParamsOf<typeof flow>>): Promise<void> {
  const from = context.watermark ?? "the beginning";
  const upTo = new Date().toISOString();
  context.logger.info(`loading changes after ${from} up to ${upTo}`);
  await context.proposeWatermark(upTo);
  if (context.params.fail) throw new Error("failing on demand after proposing (param fail=true): the watermark stays");
  context.logger.info(`loaded; the watermark moves to ${upTo} when this run is recorded SUCCEEDED`);
}
