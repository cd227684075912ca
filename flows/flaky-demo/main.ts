import type { FlowContext } from "../runtime/flow-context";

export default async function flakyDemo(context: FlowContext): Promise<void> {
  if (context.attempt === 1) throw new Error("the warehouse was busy on the first attempt");
  context.logger.info(`attempt ${context.attempt} went through`);
}
