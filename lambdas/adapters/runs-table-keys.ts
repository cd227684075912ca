import { byFlowSortKey, RUNS_TABLE, runItemKey } from "../../contracts/runs-table";

/** The item layout of the runs table: which keys each kind of item lives under. */
export const runKey = runItemKey;
/** An alert's marker, beside the run it is about (a flow's pause notice sits under the flow's name, which has no `/`). */
export const alertMarkerKey = (subject: string, key: string) => ({
  [RUNS_TABLE.partitionKey]: `RUN#${subject}`,
  [RUNS_TABLE.sortKey]: `ALERT#${key}`,
});
export const lockKey = (flow: string) => ({ [RUNS_TABLE.partitionKey]: `FLOW#${flow}`, [RUNS_TABLE.sortKey]: "LOCK" });
export const pauseKey = (flow: string) => ({
  [RUNS_TABLE.partitionKey]: `FLOW#${flow}`,
  [RUNS_TABLE.sortKey]: "PAUSE",
});
export const watermarkKey = (flow: string) => ({
  [RUNS_TABLE.partitionKey]: `FLOW#${flow}`,
  [RUNS_TABLE.sortKey]: "WATERMARK",
});
export const byFlowPartition = (flow: string) => `FLOW#${flow}`;
export const byFlowSort = byFlowSortKey;
export const activePartition = (flow: string) => `ACTIVE#${flow}`;
export const backfillKey = (backfillId: string) => ({
  [RUNS_TABLE.partitionKey]: `BACKFILL#${backfillId}`,
  [RUNS_TABLE.sortKey]: "BACKFILL",
});
/** Every ACTIVE backfill is under this one partition of the active index (the reaper reads it in one query). */
export const ACTIVE_BACKFILLS_PARTITION = "BACKFILLS";

/** When an item written now expires (DynamoDB TTL, epoch seconds). */
export const expiresAt = (from: Date | string, retentionDays: number) =>
  Math.floor(new Date(from).getTime() / 1000) + retentionDays * 86_400;
