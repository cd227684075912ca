import { Logger } from "@aws-lambda-powertools/logger";
import type { RunEventPublisher, RunStore } from "../lambdas/core/ports";
import type { RecordOutcome } from "../lambdas/core/record-task-state";
import { createRecordTaskState } from "../lambdas/core/record-task-state";
import { createRecorderHandler } from "../lambdas/recorder";

export interface ReplaySummary {
  outcomes: { line: number; outcome?: RecordOutcome; error?: string }[];
  /** Counts by `applied`, `ignored:<reason>` and `rejected`. */
  counts: Record<string, number>;
}

/**
 * Feeds ECS Task State Change events (one JSON document per line) through the recorder, in file order, against a
 * run store. A line the recorder rejects is reported with its number; the rest still go through.
 */
export async function replayEvents(options: {
  text: string;
  runs: RunStore;
  clusterArn: string;
  events: RunEventPublisher;
  onRetry?: (retry: { runId: string; attempt: number }, at: Date) => void;
}): Promise<ReplaySummary> {
  const recorder = createRecorderHandler({
    logger: new Logger({ serviceName: "data-flows-cli", logLevel: "SILENT" }),
    recordTaskState: createRecordTaskState({
      runs: options.runs,
      events: options.events,
      // Replays move runs but start no tasks: a retry the recorder plans is reported, not scheduled.
      retries: { schedule: async (retry, at) => options.onRetry?.(retry, at) },
      retryOptions: { baseDelaySeconds: 60 },
      clock: { now: () => new Date() },
      clusterArn: options.clusterArn,
    }),
  });
  const summary: ReplaySummary = { outcomes: [], counts: {} };
  const lines = options.text.split("\n");
  for (const [index, raw] of lines.entries()) {
    if (!raw.trim()) continue;
    const line = index + 1;
    try {
      const outcome = await recorder(JSON.parse(raw));
      const key = outcome.status === "applied" ? "applied" : `ignored:${outcome.reason}`;
      summary.counts[key] = (summary.counts[key] ?? 0) + 1;
      summary.outcomes.push({ line, outcome });
    } catch (error) {
      summary.counts.rejected = (summary.counts.rejected ?? 0) + 1;
      summary.outcomes.push({ line, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return summary;
}
