import type { Logger } from "@aws-lambda-powertools/logger";

/** What a flow's code receives: its inputs, its credentials and the means to report and to stop. */
export interface FlowContext {
  flow: string;
  runId: string;
  attempt: number;
  params: Readonly<Record<string, string>>;
  /** The declared secrets, by name (e.g. `DBT_CLOUD_TOKEN`). Never log these. */
  secrets: Readonly<Record<string, string>>;
  /** Structured logger carrying flow, runId and attempt on every line. */
  logger: Logger;
  /** Records a figure (rows loaded, models built) as a structured log line. */
  metric(name: string, value: number): void;
  /** Aborted when ECS stops the task (SIGTERM): timeouts, cancels, scale-in. Pass it to every wait. */
  signal: AbortSignal;
}

/** A flow's entry point: resolves on success, rejects on failure. */
export type FlowMain = (context: FlowContext) => Promise<void>;

/**
 * Thrown by a flow when its configuration is wrong (a refused credential, a missing parameter): the container exits
 * 78 and the failure is classified as configuration, which is never retried.
 */
export class FlowConfigurationError extends Error {
  override name = "FlowConfigurationError";
}
