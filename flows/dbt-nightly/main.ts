import { DbtCloudClient, runDbtJob } from "../lib/dbt-cloud";
import type { ParamsOf } from "../registry/flow-definition";
import type { FlowContext } from "../runtime/flow-context";
import type flow from "./flow";

/** Params (typed in flow.ts): `job_id`, `dbt_cloud_host` (a host on `allowedHosts`), `git_branch`, `steps_override`, `poll_seconds`. */
export default async function dbtNightly(context: FlowContext<ParamsOf<typeof flow>>): Promise<void> {
  const { params, secrets } = context;
  // Checked before the token is anywhere near it: a host off the definition's allowedHosts ends the run (exit 78).
  const baseUrl = context.externalUrl(params.dbt_cloud_host, "param dbt_cloud_host");
  const client = new DbtCloudClient({
    baseUrl,
    accountId: secrets.DBT_CLOUD_ACCOUNT_ID!,
    token: secrets.DBT_CLOUD_TOKEN!,
    maxAttempts: 5,
    maxRetryAfterSeconds: 60,
  });
  const pollMs = params.poll_seconds * 1000;
  const run = await runDbtJob(client, {
    jobId: params.job_id,
    cause: `data-flows ${context.runId} attempt ${context.attempt}`,
    ...(params.git_branch && { gitBranch: params.git_branch }),
    ...(params.steps_override && { stepsOverride: params.steps_override }),
    pollMs,
    maxPollMs: Math.max(pollMs, 60_000),
    signal: context.signal,
    log: (message, extra) => context.logger.info(message, extra ?? {}),
  });
  context.metric("dbtRunId", run.id);
}
