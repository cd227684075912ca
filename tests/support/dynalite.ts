import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoRunStore } from "../../lambdas/adapters/dynamo-run-store";
import { ensureRunsTable } from "../../local/ensure-runs-table";
import { startDynaliteServer } from "../../local/dynalite-server";

/**
 * A real DynamoDB-compatible server on 127.0.0.1 (dynalite, in memory). `freshRunStore()` gives each test its own
 * runs table, created from the shared definition, so tests stay independent without restarting the server.
 */
export async function startDynalite() {
  const server = await startDynaliteServer({ port: 0, tableName: "runs" });
  const tables = new DynamoDBClient({
    endpoint: server.endpoint,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  let count = 0;
  return {
    ...server,
    async freshRunStore(): Promise<DynamoRunStore> {
      const tableName = `runs-${++count}`;
      await ensureRunsTable(tables, tableName);
      return new DynamoRunStore({ client: server.client, tableName, retentionDays: 30 });
    },
    async close(): Promise<void> {
      tables.destroy();
      await server.close();
    },
  };
}
