import { awsLambdaHandler } from "./aws/lambda-entry";

/** The launcher Lambda (see `handlers/launcher.ts`), wired to AWS by the composition root on its first invocation. */
export const handler = awsLambdaHandler("launcher");
