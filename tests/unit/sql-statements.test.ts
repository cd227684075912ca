import { splitStatements } from "../../flows/lib/sql-statements";

describe("splitting SQL files into statements", () => {
  it("splits on semicolons", () => {
    expect(splitStatements("select 1; select 2;")).toEqual(["select 1", "select 2"]);
  });

  it("keeps a semicolon inside a string literal", () => {
    expect(splitStatements("insert into t values ('a;b'); select 1")).toEqual([
      "insert into t values ('a;b')",
      "select 1",
    ]);
  });

  it("keeps a semicolon inside a quoted identifier", () => {
    expect(splitStatements('select 1 as "a;b"; select 2')).toEqual(['select 1 as "a;b"', "select 2"]);
  });

  it("keeps a $$ body whole (procedures, JavaScript UDFs)", () => {
    const udf = "create function f() returns float language javascript as $$ var x = 1; return x; $$";
    expect(splitStatements(`${udf}; select f();`)).toEqual([udf, "select f()"]);
  });

  it("drops comments and empty statements", () => {
    expect(splitStatements("-- a; comment\nselect 1;;\n/* b; */ ;\n")).toEqual(["select 1"]);
  });

  it("returns nothing for a file of comments", () => {
    expect(splitStatements("-- nothing to do\n")).toEqual([]);
  });
});
