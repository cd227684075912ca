import type { Connection, RowStatement, SnowflakeError } from "snowflake-sdk";
import { splitStatements } from "./sql-statements";

/** Runs one statement; resolves with the rows it changed (DML) when Snowflake reports them. */
export interface SqlSession {
  execute(sqlText: string, signal: AbortSignal): Promise<{ rowsAffected?: number }>;
}

/** A statement Snowflake rejected, named by file and position so the fix is one click away. */
export class SnowflakeStatementError extends Error {
  override name = "SnowflakeStatementError";
  constructor(
    readonly file: string,
    readonly statement: number,
    readonly code: string | undefined,
    readonly sqlState: string | undefined,
    cause: string,
  ) {
    super(
      `Snowflake error ${code ?? "?"}${sqlState ? ` (SQL state ${sqlState})` : ""} in statement ${statement} of ${file}: ${cause}`,
    );
  }
}

/** A {@link SqlSession} over a connected snowflake-sdk connection; aborting cancels the running statement. */
export function snowflakeSession(connection: Pick<Connection, "execute">): SqlSession {
  return {
    execute(sqlText, signal) {
      return new Promise((resolve, reject) => {
        const statement = connection.execute({
          sqlText,
          complete: (error: SnowflakeError | undefined, stmt) => {
            signal.removeEventListener("abort", cancel);
            if (error) reject(error);
            else resolve({ rowsAffected: (stmt as RowStatement).getNumUpdatedRows?.() });
          },
        }) as RowStatement & { cancel?: (callback: (error?: Error) => void) => void };
        const cancel = () => statement.cancel?.(() => undefined);
        signal.addEventListener("abort", cancel, { once: true });
      });
    },
  };
}

export interface RunSqlFilesOptions {
  runId: string;
  signal: AbortSignal;
  log: (message: string, extra?: Record<string, unknown>) => void;
  metric: (name: string, value: number) => void;
  /** Session variables set before the files run, which their SQL reads as `$name` (e.g. the data interval). */
  variables?: Readonly<Record<string, string>>;
}

const VARIABLE_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * Runs SQL files in order, statement by statement, in one session tagged with the run id (QUERY_TAG), so every
 * query in Snowflake's history leads back to its run, with the session variables set first. Records the rows each statement changed; stops at the first
 * error, naming the file, the statement and Snowflake's error code.
 */
export async function runSqlFiles(
  session: SqlSession,
  files: { name: string; sql: string }[],
  options: RunSqlFilesOptions,
) {
  await session.execute(`ALTER SESSION SET QUERY_TAG = ${sqlString(options.runId)}`, options.signal);
  for (const [name, value] of Object.entries(options.variables ?? {})) {
    if (!VARIABLE_NAME.test(name)) throw new Error(`session variable "${name}" is not a plain lower-case identifier`);
    await session.execute(`SET ${name} = ${sqlString(value)}`, options.signal);
  }
  let total = 0;
  for (const file of files) {
    const statements = splitStatements(file.sql);
    for (const [index, sqlText] of statements.entries()) {
      options.signal.throwIfAborted();
      const number = index + 1;
      let result: { rowsAffected?: number };
      try {
        result = await session.execute(sqlText, options.signal);
      } catch (error) {
        const snowflake = error as Partial<SnowflakeError> & { sqlState?: string };
        throw new SnowflakeStatementError(
          file.name,
          number,
          snowflake.code === undefined ? undefined : String(snowflake.code),
          snowflake.sqlState,
          snowflake.message ?? String(error),
        );
      }
      total += 1;
      options.log(`${file.name} statement ${number}/${statements.length} done`, { rowsAffected: result.rowsAffected });
      if (result.rowsAffected !== undefined) options.metric(`rowsAffected.${file.name}.${number}`, result.rowsAffected);
    }
  }
  options.metric("statements", total);
}

/** A SQL string literal: quotes doubled, as Snowflake reads them. */
function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
