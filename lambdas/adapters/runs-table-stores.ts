import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoAlertMarkers } from "./dynamo-alert-markers";
import { DynamoBackfillStore } from "./dynamo-backfill-store";
import { DynamoFlowState } from "./dynamo-flow-state";
import { DynamoRunStore } from "./dynamo-run-store";

export interface RunsTableOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Runs, ended backfills and alert markers expire (DynamoDB TTL) this many days after they were written. */
  retentionDays: number;
  /** The alert markers' clock: when a claim is made, and whether an earlier one has run out. */
  now: () => Date;
}

/** Every store kept in the runs table. */
export interface RunsTableStores {
  runs: DynamoRunStore;
  flowState: DynamoFlowState;
  backfills: DynamoBackfillStore;
  markers: DynamoAlertMarkers;
}

/** The runs table's stores on one client: every edge builds them here, so none can disagree on table or retention. */
export function runsTableStores({ client, tableName, retentionDays, now }: RunsTableOptions): RunsTableStores {
  return {
    runs: new DynamoRunStore({ client, tableName, retentionDays }),
    flowState: new DynamoFlowState({ client, tableName }),
    backfills: new DynamoBackfillStore({ client, tableName, retentionDays }),
    markers: new DynamoAlertMarkers({ client, tableName, retentionDays, now }),
  };
}
