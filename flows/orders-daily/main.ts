import snowflake from "snowflake-sdk";
import { snowflakeConnectionOptions } from "../lib/snowflake-connection";
import { readSqlFiles } from "../lib/sql-files";
import { runSqlFiles, snowflakeSession } from "../lib/snowflake-sql";
import type { ParamsOf } from "../registry/flow-definition";
import type { FlowContext } from "../runtime/flow-context";
import type flow from "./flow";

export default async function ordersDaily(context: FlowContext<ParamsOf<typeof flow>>): Promise<void> {
  const { params, secrets } = context;
  snowflake.configure({ logLevel: "ERROR" });
  // The account (hence the host the key signs in to) comes from the SNOWFLAKE_ACCOUNT secret only, never a param.
  const connection = snowflake.createConnection(snowflakeConnectionOptions(secrets, params));
  await connection.connectAsync();
  try {
    await runSqlFiles(snowflakeSession(connection), readSqlFiles(context.flow), {
      runId: context.runId,
      signal: context.signal,
      log: (message, extra) => context.logger.info(message, extra ?? {}),
      metric: context.metric,
      // The SQL loads the run's data interval ($interval_start, $interval_end), never "yesterday" by the clock.
      variables: {
        interval_start: context.dataInterval.start.toISOString(),
        interval_end: context.dataInterval.end.toISOString(),
      },
    });
  } finally {
    await new Promise<void>((resolve) => connection.destroy(() => resolve()));
  }
}
