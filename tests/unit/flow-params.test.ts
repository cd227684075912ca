import * as z from "zod";
import {
  checkParams,
  describeParam,
  describeParamProblems,
  paramDeclarationProblem,
  paramText,
} from "../../flows/registry/flow-params";
import { defineRegistry, FlowDefinitionError } from "../../flows/registry/flow-registry";

const shape = {
  steps: z.coerce.number().int().min(1).max(100).default(3),
  fail: z.stringbool().default(false),
  day: z.iso.date().optional(),
  mode: z.enum(["full", "incremental"]).default("incremental"),
  job_id: z.string().regex(/^\d+$/),
};

describe("checking a run's params against its flow's declarations", () => {
  it("reads each value with its schema and writes it back as text, with the defaults filled in", () => {
    expect(checkParams(shape, { steps: "5", fail: "yes", job_id: "42" })).toEqual({
      ok: true,
      params: { steps: "5", fail: "true", mode: "incremental", job_id: "42" },
      values: { steps: 5, fail: true, mode: "incremental", job_id: "42" },
    });
  });

  it("leaves an optional param out when it is not given", () => {
    const checked = checkParams(shape, { job_id: "1" });
    expect(checked.ok && Object.keys(checked.params)).not.toContain("day");
  });

  it("refuses a value of the wrong type, naming the param and what it got", () => {
    const checked = checkParams(shape, { steps: "abc", job_id: "1" });
    expect(checked.ok ? [] : describeParamProblems(checked.problems)).toBe(
      'param "steps": Invalid input: expected number, received NaN (got "abc")',
    );
  });

  it("refuses a value out of bounds", () => {
    const checked = checkParams(shape, { steps: "0", job_id: "1" });
    expect(checked.ok ? [] : checked.problems.map((problem) => problem.param)).toEqual(["steps"]);
  });

  it("refuses an unknown param, suggesting the one a swapped pair of letters meant", () => {
    const checked = checkParams(shape, { stpes: "5", job_id: "1" });
    expect(checked.ok ? [] : checked.problems).toEqual([
      { param: "stpes", message: 'unknown param (did you mean "steps"?); it takes steps, fail, day, mode, job_id' },
    ]);
  });

  it("refuses a missing required param", () => {
    const checked = checkParams(shape, {});
    expect(checked.ok ? [] : checked.problems).toEqual([{ param: "job_id", message: "is required" }]);
  });

  it("reports every problem at once", () => {
    const checked = checkParams(shape, { steps: "x", fail: "maybe", nope: "1" });
    expect(checked.ok ? [] : checked.problems.map((problem) => problem.param).sort()).toEqual([
      "fail",
      "job_id",
      "nope",
      "steps",
    ]);
  });

  it("refuses a param named like an object's prototype instead of reaching it", () => {
    const given = JSON.parse('{"__proto__": "x", "job_id": "1"}') as Record<string, string>;
    const checked = checkParams(shape, given);
    expect(checked.ok ? [] : checked.problems.map((problem) => problem.param)).toEqual(["__proto__"]);
  });

  it("refuses every param of a flow that takes none", () => {
    const checked = checkParams({}, { steps: "1" });
    expect(checked.ok ? [] : checked.problems[0]!.message).toBe("unknown param; it takes no params");
  });
});

describe("a param declaration", () => {
  it("is refused when it is not a zod schema", () => {
    expect(paramDeclarationProblem("3", true)).toMatch(/zod schema/);
  });

  it("is refused when its default cannot be read back from text (a z.boolean() takes no text)", () => {
    expect(paramDeclarationProblem(z.boolean().default(false), true)).toMatch(
      /its default false does not read back from the text "false"/,
    );
  });

  it.each([
    ["z.coerce.number()", z.coerce.number().default(3)],
    ["z.stringbool()", z.stringbool().default(true)],
    ["z.coerce.date()", z.coerce.date().default(new Date("2026-03-02T00:00:00Z"))],
    ["z.enum()", z.enum(["a", "b"]).default("b")],
  ])("is accepted when %s reads its default back", (_, schema) => {
    expect(paramDeclarationProblem(schema, false)).toBeUndefined();
  });

  it("needs a default when nobody is there to give the value (a schedule or an upstream flow starts it)", () => {
    expect(paramDeclarationProblem(z.string(), false)).toMatch(/has no default/);
    expect(paramDeclarationProblem(z.string(), true)).toBeUndefined();
  });

  it("stops the registry with the flow and the param named", () => {
    const define = () =>
      defineRegistry([
        {
          name: "nightly",
          description: "d",
          owner: "@o",
          schedule: { cron: "0 2 * * *" },
          params: { job_id: z.string() },
        },
      ]);
    expect(define).toThrow(FlowDefinitionError);
    expect(define).toThrow(/flow "nightly", field "params.job_id": has no default/);
  });

  it("is described for `flows` by its type, bounds and default", () => {
    expect(describeParam(shape.steps)).toEqual({ type: "integer ≥1 ≤100", required: false, default: "3" });
    expect(describeParam(shape.mode)).toEqual({ type: "full|incremental", required: false, default: "incremental" });
    expect(describeParam(shape.job_id)).toEqual({ type: "string", required: true });
  });
});

describe("a param value as text", () => {
  it.each([
    [3, "3"],
    [true, "true"],
    ["x", "x"],
    [new Date("2026-03-02T10:00:00Z"), "2026-03-02T10:00:00.000Z"],
    [["dbt build"], '["dbt build"]'],
  ])("writes %p as %p", (value, text) => {
    expect(paramText(value)).toBe(text);
  });
});
