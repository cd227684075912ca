import * as z from "zod";
import { defineFlow } from "../registry/flow-definition";

/** A credential-free flow that shows the whole lifecycle; `--param fail=true` makes it fail with exit code 1. */
export default defineFlow({
  name: "hello-world",
  description: "Counts to `steps`, logging as it goes. Needs no credentials; fails on demand with fail=true.",
  owner: "@data-eng",
  schedule: { cron: "*/15 * * * *", timezone: "Europe/London", enabled: true },
  cpu: 256,
  memoryMiB: 512,
  timeoutMinutes: 5,
  retries: 0,
  overlap: "allow",
  params: {
    steps: z.coerce.number().int().min(1).max(10_000).default(3),
    fail: z.stringbool().default(false),
  },
});
