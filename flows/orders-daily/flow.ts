import * as z from "zod";
import { defineFlow } from "../registry/flow-definition";

/** Loads each day's orders (its data interval, 06:00 to 06:00 London) with the SQL files beside this definition. */
const snowflakeIdentifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_$]{0,254}$/, "an unquoted Snowflake identifier: letters, digits, _ and $");

export default defineFlow({
  name: "orders-daily",
  description: "Stages and merges the orders of its data interval in Snowflake (flows/orders-daily/*.sql, in order).",
  owner: "@data-eng",
  schedule: { cron: "0 6 * * *", timezone: "Europe/London", enabled: true },
  cpu: 512,
  memoryMiB: 1024,
  timeoutMinutes: 60,
  retries: 2,
  overlap: "skip",
  secrets: ["SNOWFLAKE_PRIVATE_KEY", "SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER"],
  // Unquoted Snowflake identifiers: a param names where the session works, it is never SQL.
  params: {
    warehouse: snowflakeIdentifier.default("TRANSFORMING"),
    database: snowflakeIdentifier.default("ANALYTICS"),
    schema: snowflakeIdentifier.default("ORDERS"),
    role: snowflakeIdentifier.default("TRANSFORMER"),
  },
});
