import { defineFlow } from "../registry/flow-definition";

/** Runs the nightly dbt Cloud job and waits for it; fails with dbt's own error. */
export default defineFlow({
  name: "dbt-nightly",
  description: "Triggers the nightly dbt Cloud job and follows it to the end; cancels it when stopped.",
  owner: "@analytics",
  schedule: { cron: "0 2 * * *", timezone: "Europe/London", enabled: true },
  cpu: 256,
  memoryMiB: 512,
  timeoutMinutes: 120,
  retries: 1,
  overlap: "skip",
  secrets: ["DBT_CLOUD_TOKEN", "DBT_CLOUD_ACCOUNT_ID"],
  params: {
    job_id: "70403103932161",
    dbt_cloud_host: "https://cloud.getdbt.com",
    git_branch: "",
    steps_override: "",
    poll_seconds: "10",
  },
});
