import { InvalidArgumentError } from "commander";
import type { FlowDefinition } from "../flows/registry/flow-definition";
import { checkParams, describeParamProblems } from "../flows/registry/flow-params";
import type { FlowRegistry } from "../flows/registry/flow-registry";
import { MAX_REASON_CHARACTERS } from "../contracts/launch-commands";
import { flowOfRunId } from "../lambdas/core/run-id";
import { CliError } from "./errors";

/** Collects repeated `key=value` options into an object. */
export function collectParam(value: string, previous: Record<string, string>): Record<string, string> {
  const separator = value.indexOf("=");
  if (separator < 1) throw new InvalidArgumentError(`expected key=value, got "${value}"`);
  return { ...previous, [value.slice(0, separator)]: value.slice(separator + 1) };
}

export function parsePositiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError("expected a positive whole number");
  return parsed;
}

const SINCE_UNITS_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `--since`: a duration back from now (`90s`, `10m`, `2h`, `1d`) or an ISO instant (`2026-03-02T10:00:00Z`). Returns
 * the instant it means, given the time the command runs.
 */
export function parseSince(value: string): (now: Date) => Date {
  const relative = /^(\d+)([smhd])$/.exec(value);
  if (relative) return (now) => new Date(now.getTime() - Number(relative[1]) * SINCE_UNITS_MS[relative[2]!]!);
  const instant = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(instant)) {
    throw new InvalidArgumentError("expected a duration such as 10m, 2h, 1d, or an ISO time such as 2026-03-02T10:00Z");
  }
  return () => new Date(instant);
}

/**
 * Refuses params the flow does not take, before anything is sent: the launcher checks them the same way (it is the
 * authority), this only saves the round trip and says it in the operator's terms. Returns the params the run would
 * get, defaults included.
 */
export function requireValidParams(
  flow: FlowDefinition,
  params: Readonly<Record<string, string>>,
): Record<string, string> {
  const checked = checkParams(flow.params, params);
  if (!checked.ok) throw new CliError(`flow "${flow.name}": ${describeParamProblems(checked.problems)}`);
  return checked.params;
}

/** `--reason`: free text within what the launcher keeps. */
export function parseReason(value: string): string {
  if (value.length > MAX_REASON_CHARACTERS)
    throw new InvalidArgumentError(`at most ${MAX_REASON_CHARACTERS} characters`);
  return value;
}

/** The flow of a run id the operator typed, known to the registry, or a one-line error. */
export function requireFlowOfRun(registry: FlowRegistry, runId: string): FlowDefinition {
  const flow = flowOfRunId(runId);
  if (!flow) throw new CliError(`"${runId}" is not a run id: run ids look like <flow>/<id>`);
  return registry.require(flow);
}
