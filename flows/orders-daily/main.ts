import snowflake from "snowflake-sdk";
import { normalizePrivateKey } from "../lib/snowflake-key";
import { readSqlFiles } from "../lib/sql-files";
import { runSqlFiles, snowflakeSession } from "../lib/snowflake-sql";
import type { FlowContext } from "../runtime/flow-context";

export default async function ordersDaily(context: FlowContext): Promise<void> {
  const { params, secrets } = context;
  snowflake.configure({ logLevel: "ERROR" });
  const connection = snowflake.createConnection({
    account: secrets.SNOWFLAKE_ACCOUNT!,
    username: secrets.SNOWFLAKE_USER!,
    authenticator: "SNOWFLAKE_JWT",
    privateKey: normalizePrivateKey(secrets.SNOWFLAKE_PRIVATE_KEY!),
    application: "data-flows",
    ...(params.warehouse && { warehouse: params.warehouse }),
    ...(params.database && { database: params.database }),
    ...(params.schema && { schema: params.schema }),
    ...(params.role && { role: params.role }),
  });
  await connection.connectAsync();
  try {
    await runSqlFiles(snowflakeSession(connection), readSqlFiles(context.flow), {
      runId: context.runId,
      signal: context.signal,
      log: (message, extra) => context.logger.info(message, extra ?? {}),
      metric: context.metric,
    });
  } finally {
    await new Promise<void>((resolve) => connection.destroy(() => resolve()));
  }
}
