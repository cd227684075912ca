import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { FlowRegistry } from "../../flows/registry/flow-registry";
import type { Target } from "../local-target";
import { createActions } from "./actions";
import { cookieOf, HttpError, SECURITY_HEADERS, sameToken, send } from "./http";
import type { PageContext } from "./pages";
import { messagePage } from "./pages";
import { createViews, serveAsset } from "./views";

export interface UiOptions {
  target: Target;
  registry: FlowRegistry;
  /** `local`, `dev` or `prod`: shown on every page. */
  env: string;
  /** Whether the page may start, cancel, re-run, pause and resume (refused in prod unless asked for). */
  allowActions: boolean;
  /** Who the actions are recorded as. */
  operator: string;
  port: number;
  now?: () => Date;
}

const SESSION_COOKIE = "data_flows_page";
/** Errors that say what was wrong with the request, not with the page: shown as "Refused", 400. */
const REFUSALS = new Set(["CliError", "UnknownFlowError"]);

/**
 * The run-history page: served on 127.0.0.1 by the operator's own process (`npm start`, `data-flows ui`), reading the
 * environment through the same target as the CLI, so nothing is hosted and nothing idles in AWS. Read-only views are
 * plain HTML (`views.ts`); a small script re-reads the parts that change. State-changing requests (`actions.ts`) are
 * POSTs carrying this session's token, from this origin, confirmed on a page of their own.
 */
export async function startUi(
  options: UiOptions,
): Promise<{ url: string; origin: string; close: () => Promise<void> }> {
  const csrfToken = randomBytes(24).toString("base64url");
  // The key to this page, in the address the command prints (as Jupyter does): another local user or process that
  // finds the port still cannot read or act. Exchanged at once for an HttpOnly, SameSite=Strict cookie.
  const sessionKey = randomBytes(24).toString("base64url");
  const now = options.now ?? (() => new Date());
  const context = (): PageContext => ({
    env: options.env,
    actionsAllowed: options.allowActions,
    ...(!options.allowActions && {
      actionsRefusal: `actions are off in ${options.env}: start the page with \`data-flows ui --env ${options.env} --allow-actions\` to use them`,
    }),
    csrfToken,
    now: now(),
  });
  let origin = "";
  const view = createViews({ target: options.target, registry: options.registry, context });
  const act = createActions({
    target: options.target,
    operator: { launcher: options.target.launcher, registry: options.registry, name: options.operator },
    context,
    origin: () => origin,
    csrfToken,
  });

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      const refused = error instanceof Error && REFUSALS.has(error.name);
      const status = error instanceof HttpError ? error.status : refused ? 400 : 500;
      const message = error instanceof Error ? error.message : String(error);
      send(response, status, messagePage(context(), status === 500 ? "Something went wrong" : "Refused", message));
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // Only this address: a page that resolves another name to 127.0.0.1 (DNS rebinding) is not served.
    if (request.headers.host !== new URL(origin).host)
      throw new HttpError(421, "this server answers only for " + origin);
    const url = new URL(request.url ?? "/", origin);
    if (url.pathname.startsWith("/assets/")) return serveAsset(response, url.pathname);
    if (url.searchParams.has("key")) return exchangeKey(url, response);
    if (!sameToken(cookieOf(request, SESSION_COOKIE) ?? "", sessionKey)) {
      throw new HttpError(401, "open the address the command printed: it carries this page's key");
    }
    if (request.method === "POST") return act(request, response, url);
    if (request.method !== "GET" && request.method !== "HEAD") throw new HttpError(405, "GET or POST only");
    return view(url, response);
  }

  /** The first visit, with the key in the address: set the session's cookie and go where it was going, key removed. */
  function exchangeKey(url: URL, response: ServerResponse): void {
    if (!sameToken(url.searchParams.get("key")!, sessionKey)) throw new HttpError(401, "that key is not this page's");
    url.searchParams.delete("key");
    response.writeHead(303, {
      ...SECURITY_HEADERS,
      "set-cookie": `${SESSION_COOKIE}=${sessionKey}; HttpOnly; SameSite=Strict; Path=/`,
      location: `${url.pathname.replace(/^\/+/, "/")}${url.search}`, // a path of this server, never `//elsewhere`
    });
    response.end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => resolve());
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    /** The address to open: the page's origin with its key, which the first visit exchanges for a cookie. */
    url: `${origin}/?key=${sessionKey}`,
    origin,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
