import type { Connection, StatementOption } from "snowflake-sdk";
import { runSqlFiles, snowflakeSession, SnowflakeStatementError } from "../../flows/lib/snowflake-sql";
import { readSqlFiles } from "../../flows/lib/sql-files";

/** A stand-in for a connected snowflake-sdk Connection: answers `execute` through its `complete` callback. */
function fakeConnection(
  answer: (sqlText: string) => {
    rows?: number;
    error?: { code: string; sqlState: string; message: string };
    hang?: boolean;
  },
) {
  const executed: string[] = [];
  let cancelled = 0;
  const connection: Pick<Connection, "execute"> = {
    execute(options: StatementOption) {
      executed.push(options.sqlText);
      const result = answer(options.sqlText);
      const statement = {
        getNumUpdatedRows: () => result.rows,
        cancel: (callback: () => void) => {
          cancelled += 1;
          options.complete?.(
            Object.assign(new Error("SQL execution canceled"), { code: "000604" }) as never,
            statement as never,
            undefined,
          );
          callback();
        },
      };
      if (!result.hang) {
        setImmediate(() =>
          options.complete?.(
            result.error ? (Object.assign(new Error(result.error.message), result.error) as never) : undefined,
            statement as never,
            [],
          ),
        );
      }
      return statement as never;
    },
  };
  return { connection, executed, cancelledCount: () => cancelled };
}

const files = [
  { name: "01-stage.sql", sql: "create temporary table s as select 1 as id; insert into s values (2);" },
  { name: "02-merge.sql", sql: "merge into t using s on t.id = s.id when not matched then insert (id) values (s.id);" },
];

describe("running a flow's SQL files on Snowflake", () => {
  const metrics: [string, number][] = [];
  const options = (signal = new AbortController().signal) => ({
    runId: "orders-daily/20260302T0600Z",
    signal,
    log: () => undefined,
    metric: (name: string, value: number) => void metrics.push([name, value]),
  });
  beforeEach(() => (metrics.length = 0));

  it("tags the session with the run id before anything else", async () => {
    const fake = fakeConnection(() => ({}));
    await runSqlFiles(snowflakeSession(fake.connection), files, options());
    expect(fake.executed[0]).toBe("ALTER SESSION SET QUERY_TAG = 'orders-daily/20260302T0600Z'");
  });

  it("sets the session variables the SQL reads, after the tag and before the files", async () => {
    const fake = fakeConnection(() => ({}));
    await runSqlFiles(snowflakeSession(fake.connection), files, {
      ...options(),
      variables: { interval_start: "2026-03-01T06:00:00.000Z", interval_end: "it's" },
    });
    expect(fake.executed.slice(1, 3)).toEqual([
      "SET interval_start = '2026-03-01T06:00:00.000Z'",
      "SET interval_end = 'it''s'",
    ]);
  });

  it("refuses a session variable name that is not a plain identifier", async () => {
    const fake = fakeConnection(() => ({}));
    await expect(
      runSqlFiles(snowflakeSession(fake.connection), files, { ...options(), variables: { "x = 1; drop": "v" } }),
    ).rejects.toThrow(/not a plain lower-case identifier/);
  });

  it("runs every statement of every file, in order", async () => {
    const fake = fakeConnection(() => ({}));
    await runSqlFiles(snowflakeSession(fake.connection), files, options());
    expect(fake.executed.slice(1)).toEqual([
      "create temporary table s as select 1 as id",
      "insert into s values (2)",
      "merge into t using s on t.id = s.id when not matched then insert (id) values (s.id)",
    ]);
  });

  it("records the rows each statement changed as metrics", async () => {
    const fake = fakeConnection((sql) => ({
      rows: sql.startsWith("insert") ? 1 : sql.startsWith("merge") ? 42 : undefined,
    }));
    await runSqlFiles(snowflakeSession(fake.connection), files, options());
    expect(metrics).toEqual([
      ["rowsAffected.01-stage.sql.2", 1],
      ["rowsAffected.02-merge.sql.1", 42],
      ["statements", 3],
    ]);
  });

  it("stops at the first error, naming the file, the statement and Snowflake's code", async () => {
    const fake = fakeConnection((sql) =>
      sql.startsWith("insert")
        ? {
            error: {
              code: "002003",
              sqlState: "42S02",
              message: "SQL compilation error: Object 'S' does not exist or not authorized.",
            },
          }
        : {},
    );
    const run = runSqlFiles(snowflakeSession(fake.connection), files, options());
    await expect(run).rejects.toThrow(SnowflakeStatementError);
    await expect(runSqlFiles(snowflakeSession(fake.connection), files, options())).rejects.toThrow(
      "Snowflake error 002003 (SQL state 42S02) in statement 2 of 01-stage.sql: SQL compilation error: Object 'S' does not exist or not authorized.",
    );
    expect(fake.executed.some((sql) => sql.startsWith("merge"))).toBe(false);
  });

  it("escapes quotes in the query tag", async () => {
    const fake = fakeConnection(() => ({}));
    await runSqlFiles(snowflakeSession(fake.connection), [], { ...options(), runId: "o'brien/1" });
    expect(fake.executed[0]).toBe("ALTER SESSION SET QUERY_TAG = 'o''brien/1'");
  });

  it("cancels the running statement when the flow is stopped", async () => {
    const fake = fakeConnection((sql) => ({ hang: sql.startsWith("merge") }));
    const stop = new AbortController();
    const run = runSqlFiles(snowflakeSession(fake.connection), files, options(stop.signal));
    while (!fake.executed.some((sql) => sql.startsWith("merge"))) await new Promise((resolve) => setImmediate(resolve));
    stop.abort(new Error("SIGTERM"));
    await expect(run).rejects.toThrow();
    expect(fake.cancelledCount()).toBe(1);
  });

  it("reads the shipped flow's SQL files in name order", () => {
    expect(readSqlFiles("orders-daily").map((file) => file.name)).toEqual(["01-stage.sql", "02-merge.sql"]);
  });
});
