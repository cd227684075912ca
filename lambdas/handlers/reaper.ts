import type { Logger } from "@aws-lambda-powertools/logger";
import type { Invocation } from "../core/ports";
import type { createReapRuns, ReapReport } from "../core/reap-runs";

/**
 * Every 5 minutes: end what outlived its deadline, re-drive stranded launches, reconcile runs whose events were lost,
 * settle endings whose follow-up failed. Runs it could not handle are logged at ERROR, so the errors alarm fires.
 */
export function createReaperHandler(deps: { reapRuns: ReturnType<typeof createReapRuns>; logger: Logger }) {
  return async (_event: unknown, invocation?: Invocation): Promise<ReapReport> => {
    const report = await deps.reapRuns(invocation);
    deps.logger.info("reaped", { ...report });
    for (const { runId, error } of report.failed) deps.logger.error("could not reap run", { runId, error });
    if (report.incomplete) deps.logger.warn("pass stopped before its deadline; the next pass continues");
    return report;
  };
}
