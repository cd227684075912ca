import { awsLambdaHandler } from "./aws/lambda-entry";

/** The reaper Lambda (see `handlers/reaper.ts`), wired to AWS by the composition root on its first invocation. */
export const handler = awsLambdaHandler("reaper");
