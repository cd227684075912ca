import { setTimeout as sleep } from "node:timers/promises";
import { AllowedUrl } from "../runtime/external-url";
import { FlowConfigurationError } from "../runtime/flow-context";

/** dbt Cloud run statuses (API v2 `status`). */
export const DbtRunStatus = { queued: 1, starting: 2, running: 3, success: 10, error: 20, cancelled: 30 } as const;

export interface DbtRun {
  id: number;
  status: number;
  status_humanized?: string;
  status_message?: string | null;
  href?: string;
  is_complete?: boolean;
}

/** dbt Cloud answered with an error that retrying will not fix, or the run itself failed. */
export class DbtCloudError extends Error {
  override name = "DbtCloudError";
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface DbtCloudClientOptions {
  /**
   * The account's access URL (e.g. `https://ab123.us1.dbt.com`), checked against the flow's `allowedHosts` by
   * `context.externalUrl`: the token goes nowhere else, so a plain string is not accepted.
   */
  baseUrl: AllowedUrl;
  accountId: string;
  token: string;
  /** Attempts per request on 429 and 5xx. */
  maxAttempts: number;
  /** Longest wait honoured from Retry-After, in seconds. */
  maxRetryAfterSeconds: number;
}

const RETRYABLE = (status: number) => status === 429 || status >= 500;

/**
 * A small dbt Cloud API v2 client: trigger a job, read a run, cancel a run. Retries 429 and 5xx with backoff. Sends
 * the token only to its checked base URL and follows no redirect, so the token stays with the host that was checked.
 */
export class DbtCloudClient {
  constructor(private readonly options: DbtCloudClientOptions) {
    // The type already says so; this holds against casts and plain JavaScript callers too.
    if (!(options.baseUrl instanceof AllowedUrl)) {
      throw new TypeError("DbtCloudClient takes its base URL from context.externalUrl, never a string");
    }
  }

  triggerJob(
    jobId: string,
    body: { cause: string; git_branch?: string; steps_override?: string[] },
    signal?: AbortSignal,
  ) {
    return this.request<DbtRun>("POST", `jobs/${encodeURIComponent(jobId)}/run/`, body, signal);
  }

  getRun(runId: number, signal?: AbortSignal) {
    return this.request<DbtRun>("GET", `runs/${runId}/`, undefined, signal);
  }

  cancelRun(runId: number) {
    return this.request<DbtRun>("POST", `runs/${runId}/cancel/`);
  }

  private async request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const url = this.options.baseUrl.resolve(`api/v2/accounts/${encodeURIComponent(this.options.accountId)}/${path}`);
    let last = "";
    for (let attempt = 1; attempt <= this.options.maxAttempts; attempt += 1) {
      const response = await fetch(url, {
        method,
        headers: {
          authorization: `Token ${this.options.token}`,
          "content-type": "application/json",
          accept: "application/json",
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        redirect: "manual",
        signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(30_000)]) : AbortSignal.timeout(30_000),
      });
      const text = await response.text();
      if (response.status >= 300 && response.status < 400) {
        const location = (response.headers.get("location") ?? "nowhere").slice(0, 200);
        throw new FlowConfigurationError(
          `dbt Cloud at ${this.options.baseUrl.origin} redirected ${method} ${path} (${response.status}) to ${location}; the token never follows a redirect: use the account's own access URL`,
        );
      }
      if (response.ok) return (JSON.parse(text) as { data: T }).data;
      last = `${method} ${path} answered ${response.status}: ${describeError(text)}`;
      if (response.status === 401 || response.status === 403) {
        throw new FlowConfigurationError(
          `dbt Cloud refused the token (${response.status}): check DBT_CLOUD_TOKEN and DBT_CLOUD_ACCOUNT_ID`,
        );
      }
      if (!RETRYABLE(response.status)) throw new DbtCloudError(`dbt Cloud ${last}`, response.status);
      const retryAfter = Number(response.headers.get("retry-after"));
      const waitMs =
        response.status === 429 && retryAfter > 0
          ? Math.min(retryAfter, this.options.maxRetryAfterSeconds) * 1000
          : Math.min(500 * 2 ** (attempt - 1), 30_000);
      if (attempt < this.options.maxAttempts) await sleep(waitMs, undefined, signal ? { signal } : undefined);
    }
    throw new DbtCloudError(`dbt Cloud ${last} after ${this.options.maxAttempts} attempts`);
  }
}

function describeError(text: string): string {
  try {
    const body = JSON.parse(text) as { status?: { user_message?: string; developer_message?: string } };
    return body.status?.user_message ?? body.status?.developer_message ?? text.slice(0, 200);
  } catch {
    return text.slice(0, 200);
  }
}

export interface RunDbtJobOptions {
  jobId: string;
  cause: string;
  gitBranch?: string;
  stepsOverride?: string[];
  /** First wait between polls; it grows by half each poll up to `maxPollMs`. */
  pollMs: number;
  maxPollMs: number;
  signal: AbortSignal;
  log: (message: string, extra?: Record<string, unknown>) => void;
}

/**
 * Triggers a dbt Cloud job and follows the run to its end. Resolves on success; throws with dbt's own message on
 * error or cancellation. When the flow is stopped (the signal aborts), it cancels the dbt Cloud run before giving up,
 * so no orphaned run keeps the warehouse busy.
 */
export async function runDbtJob(client: DbtCloudClient, options: RunDbtJobOptions): Promise<DbtRun> {
  const started = await client.triggerJob(
    options.jobId,
    {
      cause: options.cause.slice(0, 255),
      ...(options.gitBranch && { git_branch: options.gitBranch }),
      ...(options.stepsOverride?.length && { steps_override: options.stepsOverride }),
    },
    options.signal,
  );
  options.log(`dbt Cloud run ${started.id} started`, { dbtRunId: started.id, dbtRunUrl: started.href });
  let wait = options.pollMs;
  try {
    for (;;) {
      await sleep(wait, undefined, { signal: options.signal });
      const run = await client.getRun(started.id, options.signal);
      if (run.status === DbtRunStatus.success) {
        options.log(`dbt Cloud run ${run.id} succeeded`, { dbtRunUrl: run.href ?? started.href });
        return run;
      }
      if (run.status === DbtRunStatus.error || run.status === DbtRunStatus.cancelled) {
        const what = run.status === DbtRunStatus.error ? "failed" : "was cancelled";
        throw new DbtCloudError(
          `dbt Cloud run ${run.id} ${what}: ${run.status_message ?? run.status_humanized ?? "no message"} (${run.href ?? started.href ?? "no link"})`,
        );
      }
      wait = Math.min(Math.round(wait * 1.5), options.maxPollMs);
    }
  } catch (error) {
    if (options.signal.aborted) {
      options.log(`stopping: cancelling dbt Cloud run ${started.id}`);
      await client
        .cancelRun(started.id)
        .catch((cancelError: unknown) =>
          options.log(`could not cancel dbt Cloud run ${started.id}: ${String(cancelError)}`),
        );
    }
    throw error;
  }
}
