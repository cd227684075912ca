import type * as z from "zod";
import { parseInput } from "../handlers/parse-input";

/** Thrown at cold start when the function's environment is incomplete: a deploy problem, named precisely. */
export class ConfigurationError extends Error {
  override name = "ConfigurationError";
}

/**
 * Reads configuration from a function's environment. No fallbacks: a missing or malformed variable is a deploy error
 * and fails the cold start with every problem named.
 */
export function readConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.output<S> {
  return parseInput(schema, env, (problems) => new ConfigurationError(`invalid function environment: ${problems}`));
}
