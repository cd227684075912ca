import { Logger } from "@aws-lambda-powertools/logger";
import type { FlowRegistry } from "../flows/registry/flow-registry";
import { composeControlPlane, onlyPorts } from "../lambdas/composition-root";
import type { RetryCommand } from "../contracts/launch-commands";
import type { FlowStateStore, RunEventPublisher, RunStore } from "../lambdas/core/ports";
import type { RecordOutcome } from "../lambdas/core/record-task-state";

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
  registry: FlowRegistry;
  runs: RunStore;
  /** Where a replayed success commits the watermark its attempt proposed. */
  flowState: FlowStateStore;
  clusterArn: string;
  events: RunEventPublisher;
  onRetry?: (retry: RetryCommand, at: Date) => void;
  onStrayTask?: (taskArn: string, reason: string) => void;
}): Promise<ReplaySummary> {
  // Replays move runs but start and stop no tasks: a retry the recorder plans is reported, not scheduled, and a stray
  // task it would stop is reported, not stopped. The recorder uses nothing else; every other port is refused, so a
  // replay can never reach ECS, Slack or a deployed environment.
  const ports = onlyPorts("events replay", {
    registry: options.registry,
    runs: options.runs,
    flowState: options.flowState,
    events: options.events,
    retries: { schedule: async (retry, at) => options.onRetry?.(retry, at), cancel: async () => undefined },
    taskControl: {
      stopTask: async (taskArn, reason) => options.onStrayTask?.(taskArn, reason),
      describeTasks: async () => {
        throw new Error("events replay describes no tasks");
      },
      listRunning: async () => {
        throw new Error("events replay lists no tasks");
      },
    },
    clock: { now: () => new Date() },
    logger: new Logger({ serviceName: "data-flows-cli", logLevel: "SILENT" }),
  });
  const recorder = composeControlPlane(ports, {
    environment: "replay",
    clusterArn: options.clusterArn,
    retryBaseDelaySeconds: 60,
    operatorEntry: "invoke",
    reapLimits: { pageSize: 0, pendingGraceSeconds: 0, launchDeadlineSeconds: 0, silenceMinutes: 0, safetyMarginMs: 0 },
  }).recorder();
  const summary: ReplaySummary = { outcomes: [], counts: {} };
  const lines = options.text.split("\n");
  for (const [index, raw] of lines.entries()) {
    if (!raw.trim()) continue;
    const line = index + 1;
    try {
      const outcome = (await recorder(JSON.parse(raw))) as RecordOutcome;
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
