import { postgreSplitterOptions, splitQuery } from "dbgate-query-splitter";

/**
 * Splits a SQL file into statements the way Snowflake reads it: semicolons inside quoted strings, quoted identifiers,
 * comments and `$$ … $$` bodies (procedures, JavaScript UDFs) do not end a statement; comments and empty statements
 * are dropped.
 */
export function splitStatements(sql: string): string[] {
  const statements = splitQuery(sql, { ...postgreSplitterOptions, ignoreComments: true }) as unknown[];
  return statements.map((statement) => String(statement).trim()).filter((statement) => !onlyComments(statement));
}

/** A segment with nothing but comments (Snowflake would answer "Empty SQL statement"). */
function onlyComments(statement: string): boolean {
  return (
    statement
      .replace(/--[^\n]*/g, "")
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .trim() === ""
  );
}
