import { DbtCloudClient, runDbtJob } from "../lib/dbt-cloud";
import type { FlowContext } from "../runtime/flow-context";
import { FlowConfigurationError } from "../runtime/flow-context";

/** Params: `job_id`, `dbt_cloud_host` (a host on `allowedHosts` in flow.ts), optional `git_branch`, `steps_override` (a JSON array of commands), `poll_seconds`. */
export default async function dbtNightly(context: FlowContext): Promise<void> {
  const { params, secrets } = context;
  const pollSeconds = Number(params.poll_seconds);
  if (!params.job_id || !(pollSeconds > 0))
    throw new FlowConfigurationError("params job_id and poll_seconds (> 0) are required");
  // Checked before the token is anywhere near it: a host off the definition's allowedHosts ends the run (exit 78).
  const baseUrl = context.externalUrl(params.dbt_cloud_host ?? "", "param dbt_cloud_host");
  const client = new DbtCloudClient({
    baseUrl,
    accountId: secrets.DBT_CLOUD_ACCOUNT_ID!,
    token: secrets.DBT_CLOUD_TOKEN!,
    maxAttempts: 5,
    maxRetryAfterSeconds: 60,
  });
  const run = await runDbtJob(client, {
    jobId: params.job_id,
    cause: `data-flows ${context.runId} attempt ${context.attempt}`,
    ...(params.git_branch && { gitBranch: params.git_branch }),
    ...(params.steps_override && { stepsOverride: parseSteps(params.steps_override) }),
    pollMs: pollSeconds * 1000,
    maxPollMs: Math.max(pollSeconds * 1000, 60_000),
    signal: context.signal,
    log: (message, extra) => context.logger.info(message, extra ?? {}),
  });
  context.metric("dbtRunId", run.id);
}

function parseSteps(value: string): string[] {
  try {
    const steps: unknown = JSON.parse(value);
    if (Array.isArray(steps) && steps.every((step) => typeof step === "string")) return steps;
  } catch {
    // fall through to the error below
  }
  throw new FlowConfigurationError(`steps_override must be a JSON array of dbt commands, got ${value.slice(0, 100)}`);
}
