import type { Logger } from "@aws-lambda-powertools/logger";

/**
 * Builds a Lambda entry point from a factory that is run once, on the first invocation: SDK clients and
 * configuration are created once per container, and importing the module (tests, the local control plane) builds
 * nothing. Every failure is logged with its reason before it is rethrown, so a retried or dead-lettered event
 * always has a log line saying why.
 */
export function lambdaEntry<E, R>(logger: Logger, build: () => (event: E) => Promise<R>) {
  let handle: ((event: E) => Promise<R>) | undefined;
  return async (event: E): Promise<R> => {
    logger.resetKeys();
    try {
      handle ??= build();
      return await handle(event);
    } catch (error) {
      logger.error("invocation failed", { error: error as Error, event: event as object });
      throw error;
    }
  };
}
