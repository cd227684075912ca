import damerauLevenshtein from "damerau-levenshtein";
import * as z from "zod";

/**
 * A flow's params, declared in its definition as zod schemas by name, e.g.
 * `{ steps: z.coerce.number().int().min(1).default(3), full_refresh: z.stringbool().default(false) }`.
 *
 * Params travel as text (a `--param key=value`, a JSON object of strings in the launch request, an environment value
 * in the container), so each schema reads text: `z.string()`, `z.enum([...])`, `z.iso.date()`, `z.coerce.number()`,
 * `z.stringbool()`. The launcher checks a run's params against these before it records the run, and the container
 * reads them back into typed values with the same schemas.
 */
export type ParamShape = Record<string, z.ZodType>;

/** The typed values a flow's code receives for a shape: `{ steps: number; full_refresh: boolean }`. */
export type ParamValues<Shape extends ParamShape> = z.output<z.ZodObject<Shape>>;

/** One refused param, named; the message says what was expected. */
export interface ParamProblem {
  param: string;
  message: string;
}

export type ParamCheck =
  | { ok: true; params: Record<string, string>; values: Record<string, unknown> }
  | { ok: false; problems: ParamProblem[] };

/**
 * Checks the params a run was asked for against the flow's declarations: unknown names, values of the wrong type and
 * missing required values are refused, each problem naming its param. On success, `params` are the run's effective
 * params as text (given values and defaults, each written as the schema reads it back), which is what the run stores
 * and the container receives; `values` are the typed values.
 */
export function checkParams(shape: ParamShape, given: Readonly<Record<string, string>>): ParamCheck {
  const known = Object.keys(shape);
  const problems: ParamProblem[] = [];
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(shape, name)) {
      const hint = known.length ? `it takes ${known.join(", ")}` : "it takes no params";
      problems.push({ param: name, message: `unknown param${suggestion(name, known)}; ${hint}` });
    }
  }
  const values: Record<string, unknown> = {};
  const params: Record<string, string> = {};
  for (const name of known) {
    const raw = Object.hasOwn(given, name) ? given[name] : undefined;
    const parsed = shape[name]!.safeParse(raw);
    if (!parsed.success) {
      const message =
        raw === undefined ? "is required" : `${parsed.error.issues[0]!.message} (got ${JSON.stringify(raw)})`;
      problems.push({ param: name, message });
      continue;
    }
    if (parsed.data === undefined) continue; // optional, not given
    values[name] = parsed.data;
    params[name] = paramText(parsed.data);
  }
  return problems.length ? { ok: false, problems } : { ok: true, params, values };
}

/** The problems as one line: `param "steps": expected number, received NaN (got "abc"); param "stpes": unknown …`. */
export function describeParamProblems(problems: readonly ParamProblem[]): string {
  return problems.map((problem) => `param "${problem.param}": ${problem.message}`).join("; ");
}

/** A typed value as the text a schema reads back: ISO 8601 for a date, the plain form for the rest. */
export function paramText(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  return JSON.stringify(value);
}

/**
 * What is wrong with one declaration as the registry sees it: not a zod schema, or a default that does not read back
 * from its own text (`z.boolean().default(false)` cannot read "false": a param must be read from text). A scheduled or
 * downstream flow needs a default for every param (`requiredIsFine` false): nobody is there to give one.
 */
export function paramDeclarationProblem(schema: unknown, requiredIsFine: boolean): string | undefined {
  if (!(schema instanceof z.ZodType)) return "declare a param as a zod schema, e.g. z.coerce.number().default(3)";
  const empty = schema.safeParse(undefined);
  if (!empty.success) {
    return requiredIsFine
      ? undefined
      : "has no default, and the flow starts on a schedule or after an upstream flow, where nobody gives it: add .default(...) or .optional()";
  }
  if (empty.data === undefined) return undefined;
  const text = paramText(empty.data);
  const again = schema.safeParse(text);
  if (!again.success || paramText(again.data) !== text) {
    return `its default ${JSON.stringify(empty.data)} does not read back from the text ${JSON.stringify(text)}: params arrive as text, so read them with z.string(), z.enum([...]), z.coerce.number() or z.stringbool()`;
  }
  return undefined;
}

/** Each param as a person reads it in `flows`: its JSON Schema type and bounds, and its default. */
export function describeParam(schema: z.ZodType): { type: string; required: boolean; default?: string } {
  const json = z.toJSONSchema(schema, { unrepresentable: "any", io: "output" }) as Record<string, unknown>;
  const empty = schema.safeParse(undefined);
  const type = [
    Array.isArray(json.enum) ? json.enum.join("|") : typeof json.type === "string" ? json.type : "text",
    typeof json.format === "string" ? `(${json.format})` : undefined,
    // zod's int() bounds every integer by the safe-integer range: a bound worth printing is a narrower one.
    typeof json.minimum === "number" && json.minimum > Number.MIN_SAFE_INTEGER ? `≥${json.minimum}` : undefined,
    typeof json.maximum === "number" && json.maximum < Number.MAX_SAFE_INTEGER ? `≤${json.maximum}` : undefined,
  ]
    .filter(Boolean)
    .join(" ");
  return {
    type,
    required: !empty.success,
    ...(empty.success && empty.data !== undefined && { default: paramText(empty.data) }),
  };
}

/** ` (did you mean "steps"?)` for a name one or two edits away from a known one. */
function suggestion(name: string, known: readonly string[]): string {
  // Damerau-Levenshtein: a swapped pair of letters ("stpes") is one edit, as people mistype.
  const close = known.find((candidate) => damerauLevenshtein(name, candidate).steps <= 2);
  return close ? ` (did you mean "${close}"?)` : "";
}
