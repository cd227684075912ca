import * as z from "zod";
import { defineFlow } from "../registry/flow-definition";

/** Runs past its one-minute timeout so the reaper stops it: shows TIMED_OUT and the SIGTERM path. Manual only. */
export default defineFlow({
  name: "timeout-demo",
  description: "Sleeps for `seconds` (default 300), past its 1-minute timeout, to show the reaper stopping it.",
  owner: "@data-eng",
  timeoutMinutes: 1,
  // A timeout is never retried; a failure is, once. One at a time: `cancel` shows the lock freed.
  retries: 1,
  overlap: "skip",
  params: { seconds: z.coerce.number().int().min(1).max(3600).default(300) },
});
