import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * What the synthesized stack (cdk.tf.json) says about the functions and the routing: the facts the simulations take
 * from the deployment itself rather than from a copy in the bench. Terraform references (`${aws_x.id.attr}`) are
 * resolved to stand-in values by `resolveTerraform`.
 */
export interface StackFacts {
  stackDir: string;
  /** Terraform resource id of each function → the function's short name (launcher, recorder…). */
  functionIds: Record<string, string>;
  region: string;
  functions: Record<
    string,
    {
      functionName: string;
      reservedConcurrency?: number;
      memoryMiB: number;
      timeoutSeconds: number;
      architectures: string[];
      environment: Record<string, string>;
      asyncMaxRetries?: number;
      asyncMaxEventAgeSeconds?: number;
      archive: string;
      tracing?: string;
    }
  >;
  rules: { id: string; name: string; bus?: string; pattern?: unknown; schedule?: string; targets: string[] }[];
  schedules: { name: string; expression: string; input: string; target: string }[];
  table: { name: string; indexes: { name: string; projection: string }[] };
  /** Resources of each type, e.g. aws_cloudwatch_metric_alarm: 14. */
  resourceCounts: Record<string, number>;
}

type Json = Record<string, Record<string, Record<string, unknown>>>;

export function readStackFacts(cdkTfJson: string, functionNames: readonly string[]): StackFacts {
  const stack = JSON.parse(readFileSync(cdkTfJson, "utf8")) as {
    resource: Json;
    provider?: { aws?: { region?: string }[] };
  };
  const resources = stack.resource;
  const byRef = (ref: unknown) => /^\$\{aws_lambda_function\.([^.]+)\./.exec(String(ref))?.[1];
  const functionKeyOf: Record<string, string> = {};
  const functions: StackFacts["functions"] = {};
  for (const [id, fn] of Object.entries(resources.aws_lambda_function ?? {})) {
    const functionName = String(fn.function_name);
    const key = functionNames.find((name) => functionName.endsWith(`-${name}`));
    if (!key) continue;
    functionKeyOf[id] = key;
    functions[key] = {
      functionName,
      ...(fn.reserved_concurrent_executions !== undefined && {
        reservedConcurrency: Number(fn.reserved_concurrent_executions),
      }),
      memoryMiB: Number(fn.memory_size),
      timeoutSeconds: Number(fn.timeout),
      architectures: (fn.architectures as string[]) ?? [],
      environment: ((fn.environment as { variables?: Record<string, string> })?.variables ?? {}) as Record<
        string,
        string
      >,
      archive: join(dirname(cdkTfJson), String(fn.filename)),
      ...((fn.tracing_config as { mode?: string })?.mode && { tracing: (fn.tracing_config as { mode: string }).mode }),
    };
  }
  for (const config of Object.values(resources.aws_lambda_function_event_invoke_config ?? {})) {
    const key = functionKeyOf[byRef(config.function_name) ?? ""];
    if (!key) continue;
    functions[key]!.asyncMaxRetries = Number(config.maximum_retry_attempts);
    functions[key]!.asyncMaxEventAgeSeconds = Number(config.maximum_event_age_in_seconds);
  }
  const targets = Object.values(resources.aws_cloudwatch_event_target ?? {});
  const rules = Object.entries(resources.aws_cloudwatch_event_rule ?? {}).map(([id, rule]) => ({
    id,
    name: String(rule.name),
    ...(rule.event_bus_name !== undefined && { bus: String(rule.event_bus_name) }),
    ...(rule.event_pattern !== undefined && { pattern: JSON.parse(String(rule.event_pattern)) as unknown }),
    ...(rule.schedule_expression !== undefined && { schedule: String(rule.schedule_expression) }),
    targets: targets
      .filter((target) => String(target.rule).includes(`aws_cloudwatch_event_rule.${id}.`))
      .map((target) => functionKeyOf[byRef(target.arn) ?? ""] ?? String(target.arn)),
  }));
  const schedules = Object.values(resources.aws_scheduler_schedule ?? {}).map((schedule) => {
    const target = schedule.target as { arn: string; input: string };
    return {
      name: String(schedule.name),
      expression: String(schedule.schedule_expression),
      input: target.input,
      target: functionKeyOf[byRef(target.arn) ?? ""] ?? target.arn,
    };
  });
  const [table] = Object.values(resources.aws_dynamodb_table ?? {});
  return {
    stackDir: dirname(cdkTfJson),
    functionIds: functionKeyOf,
    region: stack.provider?.aws?.[0]?.region ?? "eu-west-1",
    functions,
    rules,
    schedules,
    resourceCounts: Object.fromEntries(
      Object.entries(resources).map(([type, byId]) => [type, Object.keys(byId).length]),
    ),
    table: {
      name: String(table?.name),
      indexes: ((table?.global_secondary_index as { name: string; projection_type: string }[]) ?? []).map((index) => ({
        name: index.name,
        projection: index.projection_type,
      })),
    },
  };
}

/**
 * Replaces Terraform references in a synthesized value with stand-ins: `resolveRef(type, attribute)` answers each
 * `${type.id.attribute}`; a `${join(",", [...])}` becomes the stand-ins joined by commas.
 */
export function resolveTerraform(value: string, resolveRef: RefResolver): string {
  return value.replace(/\$\{([^}]*)\}/g, (_, expression: string) => {
    const refs = [...expression.matchAll(/(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)/g)];
    return refs.map(([, type, id, attribute]) => resolveRef(type!, id!, attribute!)).join(",");
  });
}

export type RefResolver = (type: string, id: string, attribute: string) => string;

/** Replaces Terraform references anywhere in a parsed JSON value (an event pattern). */
export function resolveDeep<T>(value: T, resolveRef: RefResolver): T {
  return JSON.parse(resolveTerraform(JSON.stringify(value), resolveRef)) as T;
}
