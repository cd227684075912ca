import { awsLambdaHandler } from "./aws/lambda-entry";

/** The recorder Lambda (see `handlers/recorder.ts`), wired to AWS by the composition root on its first invocation. */
export const handler = awsLambdaHandler("recorder");
