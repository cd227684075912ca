import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { CliError } from "./errors";
import type { LauncherReply, OperatorCommand } from "./launcher-client";

/** Credentials as the SDK's signer takes them: the caller's, resolved from the usual chain. */
export type SignerCredentials = ConstructorParameters<typeof SignatureV4>[0]["credentials"];

export interface SignedLauncherOptions {
  /** The launcher's URL (a function URL), found once per command. */
  url: () => Promise<string>;
  region: string;
  credentials: SignerCredentials;
  /** What to tell a caller AWS refused (403): which policy they lack. */
  forbidden: string;
  /** What to tell a caller Lambda throttled (429): the launcher is at its reserved concurrency. */
  busy: string;
}

/**
 * A command sent to the launcher's URL as AWS expects it: a JSON POST signed with SigV4 for the `lambda` service
 * (the SDK's own signer), so Lambda authenticates the caller and hands the launcher their principal.
 */
export function signedLauncherTransport(options: SignedLauncherOptions) {
  const signer = new SignatureV4({
    service: "lambda",
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
  });
  return async (command: OperatorCommand): Promise<LauncherReply> => {
    const url = new URL(await options.url());
    const body = JSON.stringify(command);
    const signed = await signer.sign({
      method: "POST",
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port && { port: Number(url.port) }),
      path: url.pathname,
      query: {},
      headers: { host: url.host, "content-type": "application/json" },
      body,
    });
    const response = await fetch(url, { method: "POST", headers: signed.headers, body });
    if (response.status === 403) throw new CliError(options.forbidden);
    if (response.status === 429) throw new CliError(options.busy);
    return {
      ...(!response.ok && { failure: `HTTP ${response.status} ${response.statusText}` }),
      body: await response.text(),
      unreadable: `the launcher's URL answered with something other than JSON (HTTP ${response.status})`,
    };
  };
}
