import { Logger } from "@aws-lambda-powertools/logger";
import { checkParams, describeParamProblems } from "../registry/flow-params";
import type { FlowRegistry } from "../registry/flow-registry";
import { ExitCode } from "../../contracts/exit-codes";
import { secretParameterName } from "../../contracts/resource-names";
import { MAX_WATERMARK_CHARACTERS, parseAttempt, TaskEnv } from "../../contracts/task-environment";
import { DynamoWatermarkSink } from "./dynamo-watermark-sink";
import { checkExternalUrl } from "./external-url";
import type { FlowMain, WatermarkSink } from "./flow-context";
import { FlowConfigurationError } from "./flow-context";

export interface RunFlowOptions {
  env: Readonly<Record<string, string | undefined>>;
  registry: FlowRegistry;
  modules: Readonly<Record<string, () => Promise<{ default: FlowMain<never> }>>>;
  /** Aborted when the process receives SIGTERM. */
  stop: AbortSignal;
  logger?: Logger;
  /** Where watermark proposals go; made from the environment (the runs table) when not given. */
  watermarks?: (env: RunFlowOptions["env"]) => WatermarkSink;
  now?: () => Date;
}

/** A problem with the task's configuration: the flow cannot run, and retrying will not change that. */
class ConfigurationError extends Error {
  override name = "ConfigurationError";
}

/**
 * Runs one flow inside its container and returns the process exit code. Validates the environment first so a
 * missing secret fails fast with the SSM parameter's name (never its value).
 */
export async function runFlow(options: RunFlowOptions): Promise<ExitCode> {
  const logger = options.logger ?? new Logger({ serviceName: "data-flows" });
  try {
    const setup = readTaskEnvironment(options.env, options.registry);
    logger.appendPersistentKeys({ flow: setup.flow, runId: setup.runId, attempt: setup.attempt });
    const load = options.modules[setup.flow];
    if (!load) throw new ConfigurationError(`flow "${setup.flow}" has no code in flows/modules.ts`);
    const { default: main } = await load();
    logger.info("flow started", {
      params: setup.params,
      dataInterval: { start: setup.dataInterval.start.toISOString(), end: setup.dataInterval.end.toISOString() },
    });
    const { environment, keepsWatermark, ...context } = setup;
    const policy = { flow: setup.flow, allowedHosts: setup.allowedHosts, environment };
    let sink: WatermarkSink | undefined;
    const proposeWatermark = async (value: string) => {
      if (!keepsWatermark) {
        throw new FlowConfigurationError(
          `flow "${setup.flow}" proposes a watermark: declare \`watermark: true\` in its flow.ts`,
        );
      }
      if (typeof value !== "string" || value.length === 0 || value.length > MAX_WATERMARK_CHARACTERS) {
        throw new FlowConfigurationError(`a watermark is text of 1 to ${MAX_WATERMARK_CHARACTERS} characters`);
      }
      sink ??= (options.watermarks ?? watermarkSinkOf)(options.env);
      await sink.propose({
        runId: setup.runId,
        attempt: setup.attempt,
        value,
        at: (options.now ?? (() => new Date()))().toISOString(),
      });
      logger.info("watermark proposed", { watermark: value });
    };
    // The params were read with this flow's own schemas, which is what its code's parameter type says.
    await (main as FlowMain)({
      ...context,
      externalUrl: (raw, source) => checkExternalUrl(raw, source, policy),
      proposeWatermark,
      logger,
      metric: (name, value) => logger.info("metric", { metric: { name, value } }),
      signal: options.stop,
    });
    if (options.stop.aborted) {
      logger.warn("flow stopped before finishing (SIGTERM)");
      return ExitCode.stopped;
    }
    logger.info("flow succeeded");
    return ExitCode.success;
  } catch (error) {
    if (error instanceof ConfigurationError || error instanceof FlowConfigurationError) {
      logger.error(`configuration error: ${error.message}`);
      return ExitCode.configurationError;
    }
    if (options.stop.aborted) {
      logger.warn("flow stopped (SIGTERM)", { error: describe(error) });
      return ExitCode.stopped;
    }
    logger.error("flow failed", { error: describe(error) });
    return ExitCode.flowError;
  }
}

function readTaskEnvironment(env: RunFlowOptions["env"], registry: FlowRegistry) {
  const flowName = required(env, TaskEnv.flow);
  const flow = registry.get(flowName);
  if (!flow) throw new ConfigurationError(`${TaskEnv.flow} names unknown flow "${flowName}"`);
  const runId = required(env, TaskEnv.runId);
  const attempt = parseAttempt(required(env, TaskEnv.attempt));
  if (attempt === undefined) throw new ConfigurationError(`${TaskEnv.attempt} must be a positive integer`);
  const checked = checkParams(flow.params, parseParams(env[TaskEnv.params]));
  if (!checked.ok) throw new ConfigurationError(`${TaskEnv.params}: ${describeParamProblems(checked.problems)}`);
  const params = Object.freeze(checked.values);
  const environment = required(env, TaskEnv.environment);
  const dataInterval = Object.freeze({
    start: instant(env, TaskEnv.intervalStart),
    end: instant(env, TaskEnv.intervalEnd),
  });
  if (dataInterval.end < dataInterval.start) {
    throw new ConfigurationError(`${TaskEnv.intervalEnd} is before ${TaskEnv.intervalStart}`);
  }
  const secrets: Record<string, string> = {};
  for (const name of flow.secrets) {
    const value = env[name];
    if (!value) {
      throw new ConfigurationError(
        `secret ${name} is missing: create SSM parameter ${secretParameterName(environment, name)}`,
      );
    }
    secrets[name] = value;
  }
  return {
    flow: flow.name,
    runId,
    attempt,
    params,
    dataInterval,
    watermark: flow.watermark ? env[TaskEnv.watermark] : undefined,
    keepsWatermark: flow.watermark,
    secrets,
    allowedHosts: Object.freeze([...flow.allowedHosts]),
    environment,
  };
}

function required(env: RunFlowOptions["env"], name: string): string {
  const value = env[name];
  if (!value) throw new ConfigurationError(`environment variable ${name} is not set`);
  return value;
}

function instant(env: RunFlowOptions["env"], name: string): Date {
  const value = required(env, name);
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) throw new ConfigurationError(`${name} is not an ISO 8601 instant: "${value}"`);
  return parsed;
}

function parseParams(raw: string | undefined): Record<string, string> {
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigurationError(`${TaskEnv.params} is not JSON`);
  }
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    Array.isArray(parsed) ||
    !Object.values(parsed).every((value) => typeof value === "string")
  ) {
    throw new ConfigurationError(`${TaskEnv.params} must be a JSON object of strings`);
  }
  return parsed as Record<string, string>;
}

function describe(error: unknown): { name: string; message: string } {
  return error instanceof Error
    ? { name: error.name, message: error.message }
    : { name: "Error", message: String(error) };
}

/** The runs table the task definition names (and, locally, `npm start`'s dynalite). */
function watermarkSinkOf(env: RunFlowOptions["env"]): WatermarkSink {
  const table = env[TaskEnv.runsTable];
  if (!table) throw new ConfigurationError(`${TaskEnv.runsTable} is not set: the task cannot propose a watermark`);
  return new DynamoWatermarkSink(table, env[TaskEnv.dynamodbEndpoint]);
}
