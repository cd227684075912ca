import { defineFlow } from "../registry/flow-definition";

/** Fails its first attempt and succeeds on the retry: shows RETRYING and a second attempt. Manual only. */
export default defineFlow({
  name: "flaky-demo",
  description: "Fails on attempt 1 (exit 1) and succeeds on attempt 2, to show a retry.",
  owner: "@data-eng",
  timeoutMinutes: 5,
  retries: 1,
  overlap: "allow",
});
