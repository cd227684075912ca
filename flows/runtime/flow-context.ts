import type { Logger } from "@aws-lambda-powertools/logger";
import type { AllowedUrl } from "./external-url";

/** What a flow's code receives: its inputs, its credentials and the means to report and to stop. */
export interface FlowContext<Params extends object = Readonly<Record<string, unknown>>> {
  flow: string;
  runId: string;
  attempt: number;
  /** The run's params, read with the schemas the flow declares (`FlowContext<ParamsOf<typeof flow>>` types them). */
  params: Readonly<Params>;
  /**
   * The span of data this run is for, `[start, end)`: a scheduled run's is from the schedule's previous fire to its
   * own slot, whenever it actually runs (a retry after midnight, a backfill); load by it, never by the clock.
   */
  dataInterval: Readonly<{ start: Date; end: Date }>;
  /** The declared secrets, by name (e.g. `DBT_CLOUD_TOKEN`). Never log these. */
  secrets: Readonly<Record<string, string>>;
  /** The external hosts the flow's definition lists (`allowedHosts`): the only ones `externalUrl` accepts. */
  allowedHosts: readonly string[];
  /**
   * Checks a URL before a request (and a secret) goes to it: HTTPS to a host on `allowedHosts`, or a loopback host
   * when DATA_FLOWS_ENV is Local. `source` names where the URL came from, e.g. `"param dbt_cloud_host"`. Throws a
   * FlowConfigurationError (exit 78, never retried) naming it and the allowed hosts. Any URL a flow takes from params
   * goes through here; clients that carry a secret take the `AllowedUrl` it returns, never a string.
   */
  externalUrl(raw: string, source: string): AllowedUrl;
  /**
   * The flow's watermark as this attempt started: the value its last successful run committed (undefined before the
   * first). Only for a flow whose definition says `watermark: true`.
   */
  watermark: string | undefined;
  /**
   * Proposes the flow's next watermark (at most 1,024 characters; compared as text, so use ISO 8601 UTC instants or
   * zero-padded numbers). It is committed only if this attempt SUCCEEDS, and only forward: a failed, cancelled or
   * timed-out attempt leaves the watermark as it was. The last proposal of an attempt counts.
   */
  proposeWatermark(value: string): Promise<void>;
  /** Structured logger carrying flow, runId and attempt on every line. */
  logger: Logger;
  /** Records a figure (rows loaded, models built) as a structured log line. */
  metric(name: string, value: number): void;
  /** Aborted when ECS stops the task (SIGTERM): timeouts, cancels, scale-in. Pass it to every wait. */
  signal: AbortSignal;
}

/** Where a container's watermark proposals go (its run's item in the runs table). */
export interface WatermarkSink {
  propose(proposal: { runId: string; attempt: number; value: string; at: string }): Promise<void>;
}

/** A flow's entry point: resolves on success, rejects on failure. */
export type FlowMain<Params extends object = Readonly<Record<string, unknown>>> = (
  context: FlowContext<Params>,
) => Promise<void>;

/**
 * Thrown by a flow when its configuration is wrong (a refused credential, a missing parameter): the container exits
 * 78 and the failure is classified as configuration, which is never retried.
 */
export class FlowConfigurationError extends Error {
  override name = "FlowConfigurationError";
}
