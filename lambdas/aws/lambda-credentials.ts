import { fromEnv } from "@aws-sdk/credential-provider-env";

/**
 * The credential provider of every SDK client in a deployed function. Lambda hands the function its execution role's
 * credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN ("Defined runtime environment
 * variables", Lambda developer guide), so the SDK's default chain ends at its first link there. The Lambda bundles
 * alias `@aws-sdk/credential-provider-node` to this module (`bundling/bundle-lambdas.ts`), which drops the chain's INI,
 * SSO, login, process, web-identity and instance-metadata providers: about 110 KiB of every bundle that could never
 * answer inside Lambda. Code run from source (tests, `npm start`, the CLI) keeps the full chain.
 */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
