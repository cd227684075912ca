/**
 * EventBridge event-pattern matching, for the patterns the stack uses: every key of the pattern must match; a list
 * matches when the event's value (or any element of an array value) equals one of its entries or satisfies one of its
 * `prefix`, `anything-but`, `exists` or `numeric` filters; an object descends.
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html)
 * An unknown filter throws, so a pattern nobody here can read fails loudly instead of routing wrongly. The stack's
 * rules, the local bus, the bench and the property simulation all route with it, from the same patterns
 * (`event-routes.ts`).
 */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern)) {
    const values = Array.isArray(event) ? event : [event];
    return pattern.some((entry) => values.some((value) => matchesEntry(entry, value, event !== undefined)));
  }
  if (pattern && typeof pattern === "object") {
    if (!event || typeof event !== "object") return false;
    return Object.entries(pattern as Record<string, unknown>).every(([key, sub]) => {
      const value = (event as Record<string, unknown>)[key];
      if (sub && typeof sub === "object" && !Array.isArray(sub)) return matchesPattern(sub, value);
      return matchesPattern(sub, value);
    });
  }
  throw new Error(`unsupported event pattern fragment ${JSON.stringify(pattern)}`);
}

function matchesEntry(entry: unknown, value: unknown, present: boolean): boolean {
  if (entry === null || typeof entry !== "object") return value === entry;
  const filter = entry as Record<string, unknown>;
  if ("prefix" in filter) return typeof value === "string" && value.startsWith(String(filter.prefix));
  if ("exists" in filter) return Boolean(filter.exists) === present;
  if ("anything-but" in filter) {
    const excluded = filter["anything-but"];
    return Array.isArray(excluded) ? !excluded.includes(value) : value !== excluded;
  }
  if ("numeric" in filter) {
    const [op, bound] = filter.numeric as [string, number];
    const n = Number(value);
    return { "<": n < bound, "<=": n <= bound, "=": n === bound, ">=": n >= bound, ">": n > bound }[op] ?? false;
  }
  throw new Error(`unsupported event pattern filter ${JSON.stringify(entry)}`);
}
