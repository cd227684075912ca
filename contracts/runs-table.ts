/**
 * The runs table: one definition shared by the Terraform stack and the local store, so both have the same keys and
 * indexes. Single table; a run is one item whose history is appended in the same conditional update that changes
 * its state, so no transaction is needed and no history is lost between two writes.
 */
export const RUNS_TABLE = {
  partitionKey: "pk",
  sortKey: "sk",
  ttlAttribute: "expiresAt",
  indexes: {
    /** A flow's runs, newest first: `FLOW#<flow>` / `<createdAt>#<runId>`. */
    byFlow: { name: "byFlow", partitionKey: "flowPk", sortKey: "flowSk" },
    /** Sparse: present only while a run is not terminal. `ACTIVE#<flow>` / `<deadline>`. */
    active: { name: "active", partitionKey: "activePk", sortKey: "activeSk" },
  },
} as const;

/** Every key attribute (all strings): the table's `AttributeDefinitions`. */
export const RUNS_TABLE_KEY_ATTRIBUTES: readonly string[] = [
  RUNS_TABLE.partitionKey,
  RUNS_TABLE.sortKey,
  ...Object.values(RUNS_TABLE.indexes).flatMap((index) => [index.partitionKey, index.sortKey]),
];

/** The key of a run's item. The flow container writes one attribute of it (its watermark proposal), hence a contract. */
export function runItemKey(runId: string): { pk: string; sk: string } {
  return { [RUNS_TABLE.partitionKey]: `RUN#${runId}`, [RUNS_TABLE.sortKey]: "RUN" } as { pk: string; sk: string };
}

/**
 * The one attribute of its run's item a flow container may write (its task role allows nothing else): the watermark
 * the attempt proposes, `{ value, attempt, at }`. The recorder commits it to the flow when, and only when, that
 * attempt SUCCEEDS.
 */
export const WATERMARK_PROPOSAL_ATTRIBUTE = "proposedWatermark";

/** Every attribute a proposal's UpdateItem names: the key, and the proposal. Its task role allows no other. */
export const WATERMARK_WRITE_ATTRIBUTES = [RUNS_TABLE.partitionKey, RUNS_TABLE.sortKey, WATERMARK_PROPOSAL_ATTRIBUTE];

/** The byFlow index's sort key of a run: newest first by creation, then run id. A page cursor is one of these. */
export function byFlowSortKey(createdAt: string, runId: string): string {
  return `${createdAt}#${runId}`;
}
