import type { SSMProvider } from "@aws-lambda-powertools/parameters/ssm";

/**
 * The Slack incoming-webhook URL, a SecureString parameter read through Powertools' SSMProvider (which sends
 * `GetParameterCommand` with decryption) and cached for five minutes. The URL is a credential: it is never logged.
 */
export function ssmSlackWebhook(ssm: SSMProvider, parameter: string): () => Promise<string> {
  return async () => {
    const url = await ssm.get(parameter, { decrypt: true, maxAge: 300 });
    if (!url) throw new Error(`SSM parameter ${parameter} is empty`);
    return url;
  };
}
