import * as z from "zod";
import { defineFlow } from "../registry/flow-definition";

/** The Python twin of hello-world: no credentials, the whole lifecycle; `--param fail=true` fails it with exit 1. */
export default defineFlow({
  name: "hello-python",
  description: "Counts to `steps` in Python, logging as it goes. Needs no credentials; fails on demand with fail=true.",
  owner: "@data-eng",
  run: { image: "python", command: ["python", "flows/hello-python/main.py"] },
  timeoutMinutes: 5,
  retries: 0,
  overlap: "allow",
  params: {
    steps: z.coerce.number().int().min(1).max(10_000).default(3),
    fail: z.stringbool().default(false),
  },
});
