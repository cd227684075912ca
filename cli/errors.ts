/**
 * The errors the CLI can foresee, each said in one line: a control plane that is not running, AWS credentials that
 * are missing or refused, access denied. Anything else is a bug, reported with its stack.
 */

/** An error the CLI reports as one line, with exit code 2, and no stack trace. */
export class CliError extends Error {
  override name = "CliError";
}

export const LOCAL_NOT_RUNNING =
  "the local control plane is not running: start it with `npm start` in another terminal";

/** Network failures that mean nothing answers (or stopped answering) at the other end. */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);
const UNREACHABLE_MESSAGE = new RegExp(`\\b(${[...UNREACHABLE_CODES].join("|")})\\b|socket hang up`);

/** The SDK found no credentials at all (no profile, no environment, no SSO session, no instance role). */
const NO_CREDENTIALS = new Set(["CredentialsProviderError", "TokenProviderError"]);
/** AWS did not accept the credentials it was given. */
const CREDENTIALS_REFUSED = new Set([
  "ExpiredToken",
  "ExpiredTokenException",
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "SignatureDoesNotMatch",
]);
/** The credentials are fine; the identity may not do this. */
const ACCESS_DENIED = new Set(["AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "AuthorizationError"]);

interface ErrorLike {
  name: string;
  message: string;
  code?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** Duck-typed: errors may come from another realm (the SDK's own, or a test runner's) where `instanceof` fails. */
function isErrorLike(value: unknown): value is ErrorLike {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as ErrorLike).name === "string" &&
    typeof (value as ErrorLike).message === "string"
  );
}

/** Whether the error says nothing answered at the other end: refused, reset, unresolvable or timed out. */
export function isUnreachable(error: unknown, depth = 0): boolean {
  if (!isErrorLike(error) || depth > 3) return false;
  if (typeof error.code === "string" && UNREACHABLE_CODES.has(error.code)) return true;
  if (UNREACHABLE_MESSAGE.test(error.message)) return true;
  if (isUnreachable(error.cause, depth + 1)) return true;
  return Array.isArray(error.errors) && error.errors.some((inner) => isUnreachable(inner, depth + 1));
}

/**
 * The one line to print for an error the CLI can foresee, or undefined for one it cannot. `env` is where the command
 * went: `local` or a deployed environment's name.
 */
export function explainError(error: unknown, env: string): string | undefined {
  if (!isErrorLike(error)) return undefined;
  const message = oneLine(error.message);
  if (error.name === "CliError" || error.name === "UnknownFlowError") return message;
  if (isUnreachable(error)) return env === "local" ? LOCAL_NOT_RUNNING : `cannot reach AWS for ${env}: ${message}`;
  if (NO_CREDENTIALS.has(error.name))
    return `no AWS credentials for ${env}: ${message} (set AWS_PROFILE, or run \`aws sso login\`)`;
  if (CREDENTIALS_REFUSED.has(error.name)) return `AWS refused the credentials for ${env}: ${message}`;
  if (ACCESS_DENIED.has(error.name)) return `access denied in ${env}: ${message}`;
  if (error.name === "ResourceNotFoundException") return `${env}: ${message} (is ${env} deployed?)`;
  // The launcher's reserved concurrency is small on purpose (RunTask's rate): a burst of fires can fill it for minutes.
  if (error.name === "TooManyRequestsException")
    return `${env} is busy starting runs (its launcher is at its reserved concurrency): try again in a minute (${message})`;
  return undefined;
}

/** A message on one line, whatever it held, and not endless. */
export function oneLine(text: string): string {
  const line = text.replace(/\s*[\r\n]+\s*/g, " ").trim();
  return line.length > 500 ? `${line.slice(0, 497)}...` : line;
}
