import { isAllowedHost } from "../registry/allowed-hosts";
import { FlowConfigurationError } from "./flow-context";

/** The environment (DATA_FLOWS_ENV) of the local control plane: the only one where loopback hosts are allowed. */
export const LOCAL_ENVIRONMENT = "Local";

/** Loopback as `URL.hostname` spells it; reachable over plain HTTP, and only locally. */
const LOOPBACK_HOSTS: readonly string[] = ["127.0.0.1", "[::1]", "localhost"];

let mint: (url: URL) => AllowedUrl;
/** Held by this module alone: without it the constructor refuses, even to a caller that ignores `private`. */
const MINT_KEY = Symbol("AllowedUrl");

/**
 * A URL that passed the flow's host check: HTTPS to a host its definition lists in `allowedHosts` (or, only when
 * DATA_FLOWS_ENV is Local, a loopback host over HTTP or HTTPS). Nothing outside this module can make one, so a client
 * that takes an `AllowedUrl` cannot be pointed at a host taken unchecked from params.
 */
export class AllowedUrl {
  readonly #url: URL;

  private constructor(key: symbol, url: URL) {
    if (key !== MINT_KEY) throw new TypeError("an AllowedUrl comes from context.externalUrl only");
    this.#url = url;
  }

  static {
    mint = (url) => new AllowedUrl(MINT_KEY, url);
  }

  get href(): string {
    return this.#url.href;
  }

  get origin(): string {
    return this.#url.origin;
  }

  /** The URL of `path` under this one: the path is appended, the scheme, host and port never change. */
  resolve(path: string): URL {
    const url = new URL(this.#url.href);
    url.pathname = `${url.pathname.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
    url.search = "";
    url.hash = "";
    if (url.origin !== this.#url.origin) throw new Error(`path ${path} would leave ${this.#url.origin}`);
    return url;
  }

  toString(): string {
    return this.#url.href;
  }
}

export interface ExternalUrlPolicy {
  flow: string;
  allowedHosts: readonly string[];
  /** DATA_FLOWS_ENV: `Dev`, `Prod`, … or `Local`. */
  environment: string;
}

/**
 * Checks `raw` (named `source` in the error, e.g. `param dbt_cloud_host`) against the flow's allow-list before any
 * request, let alone any secret, goes near it. Throws FlowConfigurationError (exit 78, never retried) naming the
 * source and the hosts that are allowed.
 */
export function checkExternalUrl(raw: string, source: string, policy: ExternalUrlPolicy): AllowedUrl {
  const refuse = (why: string) => new FlowConfigurationError(`${source} ${why}; ${allowedHostsHint(policy)}`);
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw refuse(`is not an absolute URL: ${quote(raw)}`);
  }
  if (url.username || url.password) throw refuse(`must not carry credentials in the URL: ${quote(url.host)}`);
  const local = policy.environment === LOCAL_ENVIRONMENT;
  if (LOOPBACK_HOSTS.includes(url.hostname)) {
    if (!local) {
      throw refuse(
        `points at loopback host ${url.hostname}, allowed only when DATA_FLOWS_ENV is ${LOCAL_ENVIRONMENT} (this is ${policy.environment})`,
      );
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw refuse(`is not HTTP(S): ${quote(raw)}`);
    return mint(url);
  }
  if (!isAllowedHost(url.hostname, policy.allowedHosts)) {
    throw refuse(`points at host ${quote(url.hostname)}, which flow "${policy.flow}" may not send requests to`);
  }
  if (url.protocol !== "https:") {
    throw refuse(`must use HTTPS, got ${quote(`${url.protocol}//${url.host}`)}: secrets travel only over TLS`);
  }
  if (url.port !== "") throw refuse(`must use the default HTTPS port, got ${quote(url.host)}`);
  return mint(url);
}

function allowedHostsHint(policy: ExternalUrlPolicy): string {
  const listed = policy.allowedHosts.length
    ? `allowedHosts of flow "${policy.flow}": ${policy.allowedHosts.join(", ")} (HTTPS only)`
    : `flow "${policy.flow}" declares no allowedHosts`;
  return policy.environment === LOCAL_ENVIRONMENT
    ? `${listed}; in ${LOCAL_ENVIRONMENT} also 127.0.0.1, ::1 and localhost (HTTP or HTTPS)`
    : listed;
}

/** Quotes a value taken from params for an error line, cut short so a long one cannot flood the log. */
function quote(value: string): string {
  return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
}
