import type { z } from "zod";

/**
 * Checks input against a schema where it enters and returns it typed, or throws `toError` with every problem named
 * by its path (`detail.version: expected number`), so a rejected event says exactly why in the logs.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  toError: (problems: string) => Error,
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "(input)"}: ${issue.message}`);
  throw toError(problems.join("; "));
}
