import { Logger } from "@aws-lambda-powertools/logger";
import type { Context } from "aws-lambda";
import type { ControlPlaneFunctionName } from "../../contracts/control-plane";
import type { Handler } from "../composition-root";
import { composeControlPlane } from "../composition-root";
import { awsPorts, functionConfigSchema } from "./aws-ports";
import { readConfig } from "./function-config";

/**
 * A Lambda entry point that builds its handler on the first invocation: the environment is checked against everything
 * the function uses (every problem named at once), then the composition root wires the AWS ports. Importing the
 * module builds nothing. Every failure is logged with its reason before it is rethrown, so a retried or dead-lettered
 * event always has a log line saying why.
 */
export function awsLambdaHandler(name: ControlPlaneFunctionName, env: NodeJS.ProcessEnv = process.env) {
  let logger: Logger | undefined;
  return lambdaEntry(
    () => (logger ??= new Logger({ serviceName: `data-flows-${name}` })),
    (context) => {
      readConfig(functionConfigSchema(name), env);
      const { ports, settings } = awsPorts(env, { name, functionArn: context.invokedFunctionArn, logger: logger! });
      return composeControlPlane(ports, settings)[name]();
    },
  );
}

type LambdaContext = Pick<Context, "invokedFunctionArn" | "getRemainingTimeInMillis">;

/**
 * Builds the handler once, on first use, hands it the invocation's deadline, and logs every failure with the event
 * before rethrowing it.
 */
export function lambdaEntry(logger: () => Logger, build: (context: LambdaContext) => Handler) {
  let handle: Handler | undefined;
  return async (event: unknown, context: LambdaContext): Promise<unknown> => {
    const log = logger();
    log.resetKeys();
    try {
      handle ??= build(context);
      return await handle(event, { deadline: new Date(Date.now() + context.getRemainingTimeInMillis()) });
    } catch (error) {
      log.error("invocation failed", { error: error as Error, event: event as object });
      throw error;
    }
  };
}
