/**
 * The external hosts a flow may send requests to, as its definition declares them (`allowedHosts`). An entry is a
 * host name (`cloud.getdbt.com`) or a wildcard for exactly one leading label (`*.us1.dbt.com` matches
 * `ab123.us1.dbt.com`, not `us1.dbt.com` nor `a.b.us1.dbt.com`). No scheme, port, path, IP address or loopback host:
 * loopback is the local runtime's business (see flows/runtime/external-url.ts), never a definition's.
 */

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
/** At least two labels; the last starts with a letter, so an IPv4 address is never a host name. */
const HOST_NAME = new RegExp(`^(?:${LABEL}\\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$`);
const MAX_HOST_LENGTH = 253;

/** Why `entry` cannot be an `allowedHosts` entry, in words that say what to write instead; undefined when it can. */
export function allowedHostProblem(entry: string): string | undefined {
  const example = 'e.g. "cloud.getdbt.com" or "*.us1.dbt.com"';
  if (entry.includes("://")) return `"${entry}" is a URL: list the host name only, ${example}`;
  if (entry.includes("/")) return `"${entry}" has a path: list the host name only, ${example}`;
  if (entry.includes("@")) return `"${entry}" has credentials: list the host name only, ${example}`;
  if (/^\[|^[0-9.]+$|:.*:/.test(entry)) return `"${entry}" is an IP address: name the host instead, ${example}`;
  if (entry.includes(":")) return `"${entry}" has a port: list the host name only (requests use HTTPS on 443)`;
  if (entry !== entry.toLowerCase()) return `"${entry}" has upper-case letters: write host names in lower case`;
  const wildcard = entry.startsWith("*.");
  const name = wildcard ? entry.slice(2) : entry;
  if (name.includes("*")) {
    return `"${entry}" has a wildcard other than a leading "*." (one label, e.g. "*.us1.dbt.com")`;
  }
  if (name === "localhost" || name.endsWith(".localhost")) {
    return `"${entry}" is a loopback host: loopback is allowed only when DATA_FLOWS_ENV is Local, never listed`;
  }
  if (name.length > MAX_HOST_LENGTH || !HOST_NAME.test(name)) {
    return wildcard
      ? `"${entry}" is not "*." followed by a host name of two labels or more, e.g. "*.us1.dbt.com"`
      : `"${entry}" is not a host name (labels of [a-z0-9-] separated by dots, at least two), ${example}`;
  }
  return undefined;
}

/** Whether `hostname` (as `URL.hostname` gives it: lower case, punycode) is covered by one of `allowedHosts`. */
export function isAllowedHost(hostname: string, allowedHosts: readonly string[]): boolean {
  return allowedHosts.some((entry) => {
    if (!entry.startsWith("*.")) return hostname === entry;
    const suffix = entry.slice(1); // ".us1.dbt.com"
    if (!hostname.endsWith(suffix)) return false;
    const label = hostname.slice(0, -suffix.length);
    return label.length > 0 && !label.includes(".");
  });
}
