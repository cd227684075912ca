import * as z from "zod";
import { defineFlow } from "../registry/flow-definition";

/** An incremental load: reads what changed since its watermark, proposes the new one; only a success commits it. */
export default defineFlow({
  name: "watermark-demo",
  description: "Loads what changed since its watermark and proposes the next one; fail=true fails after proposing.",
  owner: "@data-eng",
  timeoutMinutes: 5,
  retries: 0,
  overlap: "skip",
  watermark: true,
  params: {
    fail: z.stringbool().default(false),
  },
});
