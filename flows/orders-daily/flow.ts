import { defineFlow } from "../registry/flow-definition";

/** Loads yesterday's orders into the warehouse with the SQL files beside this definition, in name order. */
export default defineFlow({
  name: "orders-daily",
  description: "Stages and merges yesterday's orders in Snowflake (flows/orders-daily/*.sql, in order).",
  owner: "@data-eng",
  schedule: { cron: "0 6 * * *", timezone: "Europe/London", enabled: true },
  cpu: 512,
  memoryMiB: 1024,
  timeoutMinutes: 60,
  retries: 2,
  overlap: "skip",
  secrets: ["SNOWFLAKE_PRIVATE_KEY", "SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER"],
  params: { warehouse: "TRANSFORMING", database: "ANALYTICS", schema: "ORDERS", role: "TRANSFORMER" },
});
