import type { Logger } from "@aws-lambda-powertools/logger";
import type { createReapRuns, ReapReport } from "../core/reap-runs";

/** Every 5 minutes: enforce timeouts, re-drive stranded launches, reconcile runs whose events were lost. */
export function createReaperHandler(deps: { reapRuns: ReturnType<typeof createReapRuns>; logger: Logger }) {
  return async (): Promise<ReapReport> => {
    const report = await deps.reapRuns();
    deps.logger.info("reaped", { ...report });
    return report;
  };
}
