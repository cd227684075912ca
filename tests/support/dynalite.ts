import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoRunStore } from "../../lambdas/adapters/dynamo-run-store";
import type { RunsTableStores } from "../../lambdas/adapters/runs-table-stores";
import { runsTableStores } from "../../lambdas/adapters/runs-table-stores";
import { ensureRunsTable } from "../../local/ensure-runs-table";
import { startDynaliteServer } from "../../local/dynalite-server";

/**
 * A real DynamoDB-compatible server on 127.0.0.1 (dynalite, in memory). `freshStores()` (or `freshRunStore()`) gives
 * each test its own runs table, created from the shared definition, so tests stay independent without restarting the
 * server.
 */
export async function startDynalite() {
  const server = await startDynaliteServer({ port: 0, tableName: "runs" });
  const tables = new DynamoDBClient({
    endpoint: server.endpoint,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  let count = 0;
  /** A new table and every store on it; the alert markers tell time by `now`. */
  async function freshStores(now: () => Date = () => new Date()): Promise<RunsTableStores> {
    const tableName = `runs-${++count}`;
    await ensureRunsTable(tables, tableName);
    return runsTableStores({ client: server.client, tableName, retentionDays: 30, now });
  }
  return {
    ...server,
    freshStores,
    async freshRunStore(): Promise<DynamoRunStore> {
      return (await freshStores()).runs;
    },
    async close(): Promise<void> {
      tables.destroy();
      await server.close();
    },
  };
}
