import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import dynalite from "dynalite";
import type { AddressInfo } from "node:net";
import { createDocumentClient } from "../lambdas/adapters/dynamo-client";
import { ensureRunsTable } from "../local/ensure-runs-table";

export interface DynaliteServerOptions {
  /** Folder to persist data in; in memory when absent. */
  path?: string;
  /** Port on 127.0.0.1; 0 picks a free one. */
  port: number;
  tableName: string;
}

/**
 * An embedded DynamoDB-compatible server (dynalite) on 127.0.0.1, spoken to over real HTTP by the real AWS SDK, with
 * the runs table created from the same definition the stack deploys.
 */
export async function startDynaliteServer(options: DynaliteServerOptions) {
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path && { path: options.path }),
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientConfig = { endpoint, region: "local", credentials: { accessKeyId: "local", secretAccessKey: "local" } };
  const tableClient = new DynamoDBClient(clientConfig);
  await ensureRunsTable(tableClient, options.tableName);
  tableClient.destroy();
  const client = createDocumentClient(clientConfig);
  return {
    endpoint,
    tableName: options.tableName,
    client,
    async close(): Promise<void> {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A document client for a dynalite endpoint started elsewhere (the CLI talking to `npm start`). */
export function localDocumentClient(endpoint: string) {
  return createDocumentClient({
    endpoint,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
}
