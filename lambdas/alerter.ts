import { awsLambdaHandler } from "./aws/lambda-entry";

/** The alerter Lambda (see `handlers/alerter.ts`), wired to AWS by the composition root on its first invocation. */
export const handler = awsLambdaHandler("alerter");
