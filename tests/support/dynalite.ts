import { startDynaliteServer } from "../../local/dynalite-server";

/** A real DynamoDB-compatible server on 127.0.0.1, in memory, with the runs table created from the shared definition. */
export function startDynalite(tableName = "runs") {
  return startDynaliteServer({ port: 0, tableName });
}
