import * as z from "zod";
import { defineFlow } from "../registry/flow-definition";

/** `steps_override`: a JSON array of dbt commands, e.g. `["dbt build --select orders+"]`. */
const dbtCommands = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "a JSON array of dbt commands" });
      return z.NEVER;
    }
  })
  .pipe(z.array(z.string().min(1), { error: "a JSON array of dbt commands" }).min(1));

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
  // Where DBT_CLOUD_TOKEN may go: dbt's multi-tenant access URLs, as listed in "Access, Regions, & IP addresses"
  // (docs.getdbt.com/docs/platform/about-platform/access-regions-ip-addresses). Account-specific since 2026,
  // ACCOUNT_PREFIX.<cell>.dbt.com, hence one-label wildcards. A single-tenant account adds its own host here.
  allowedHosts: [
    "*.us1.dbt.com", // AWS us-east-1 (N. Virginia)
    "*.eu1.dbt.com", // AWS eu-central-1 (Frankfurt)
    "*.au1.dbt.com", // AWS ap-southeast-2 (Sydney)
    "*.jp1.dbt.com", // AWS ap-northeast-1 (Tokyo)
    "*.us2.dbt.com", // Azure East US 2
    "*.eu2.dbt.com", // Azure North Europe (Ireland)
    "*.au2.dbt.com", // Azure Australia East
    "*.us3.dbt.com", // GCP us-central1
    "*.eu3.dbt.com", // GCP London
    "*.eu4.dbt.com", // GCP Frankfurt
    // The former shared region URLs (deprecated by dbt on 2026-11-01; docs: account-url-migration), still the
    // default below until the account's own access URL is set.
    "cloud.getdbt.com",
    "emea.dbt.com",
    "au.dbt.com",
  ],
  params: {
    job_id: z.string().regex(/^\d+$/, "a dbt Cloud job id is digits").default("70403103932161"),
    // Checked again, against allowedHosts, before the token goes anywhere near it (context.externalUrl).
    dbt_cloud_host: z.string().default("https://cloud.getdbt.com"),
    git_branch: z.string().min(1).optional(),
    steps_override: dbtCommands.optional(),
    poll_seconds: z.coerce.number().positive().max(3600).default(10),
  },
});
