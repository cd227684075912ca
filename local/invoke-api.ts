import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A function the local API can invoke, as Lambda Invoke would: JSON in, JSON out, errors reported by name. */
export type LocalFunction = (event: unknown) => Promise<unknown>;

/** The header that carries the per-start token (the CLI reads it from the data folder's `local.json`). */
export const TOKEN_HEADER = "x-data-flows-token";

/** Errors that mean the request was wrong (HTTP 400) rather than the control plane (HTTP 500). */
const CLIENT_ERRORS = new Set(["InvalidLaunchRequestError", "UnknownFlowError", "MalformedEventError", "SyntaxError"]);
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The local stand-in for Lambda Invoke: `POST /functions/<name>/invocations` on 127.0.0.1 runs the named handler.
 * The CLI starts runs through it exactly as it invokes the launcher function in AWS.
 *
 * 127.0.0.1 is reachable from every web page open in the developer's browser, and a "simple" cross-origin POST
 * (text/plain, no preflight) is sent without asking. So, as Lambda Invoke requires a signature, this requires the
 * token made here at each start, which only a reader of the data folder has; it also refuses any request a browser
 * made (it carries `Origin`), any Host but its own (DNS rebinding), and any body that is not declared JSON.
 */
export async function startInvokeApi(functions: Record<string, LocalFunction>, port: number) {
  const token = randomBytes(32).toString("base64url");
  let hosts: string[] = [];
  const server: Server = createServer((request, response) => {
    handle({ functions, token, hosts }, request, response).catch(() => {
      // handle answers every error it can; one it cannot (the client went away) leaves nothing to answer
      if (!response.headersSent) response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  // A server error after it started (none is expected) is no reason to take the control plane down.
  server.on("error", () => undefined);
  const bound = (server.address() as AddressInfo).port;
  hosts = [`127.0.0.1:${bound}`, `localhost:${bound}`];
  return {
    url: `http://127.0.0.1:${bound}`,
    /** The secret a caller must send in `x-data-flows-token`; written with the endpoints for the CLI. */
    token,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface ApiState {
  functions: Record<string, LocalFunction>;
  token: string;
  hosts: string[];
}

async function handle({ functions, token, hosts }: ApiState, request: IncomingMessage, response: ServerResponse) {
  const reply = (status: number, body: unknown) => {
    if (response.headersSent || response.destroyed) return;
    response.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
    response.end(JSON.stringify(body));
  };
  const refuse = (status: number, errorType: string, errorMessage: string) => {
    reply(status, { errorType, errorMessage });
    // Whatever body the refused request still has is not read; the connection is not reused.
    request.resume();
  };
  if (request.headers.origin !== undefined)
    return refuse(403, "Forbidden", "requests from web pages (with an Origin header) are refused");
  if (!hosts.includes(request.headers.host ?? "")) return refuse(403, "Forbidden", "unexpected Host header");
  const url = request.url ?? "";
  if (request.method === "GET" && url === "/health") return reply(200, { ok: true });
  if (!hasToken(request.headers[TOKEN_HEADER], token))
    return refuse(403, "Forbidden", `missing or wrong ${TOKEN_HEADER} (the CLI reads it from the data folder)`);
  const match = /^\/functions\/([a-z-]+)\/invocations$/.exec(url);
  const fn = match && Object.hasOwn(functions, match[1]!) ? functions[match[1]!] : undefined;
  if (request.method !== "POST" || !fn) return refuse(404, "NotFound", `no function at ${url.slice(0, 200)}`);
  const contentType = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (contentType !== "application/json")
    return refuse(415, "UnsupportedMediaType", "the body must be JSON, sent with content-type: application/json");
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) return refuse(413, "PayloadTooLarge", "payload over 1 MiB");
      chunks.push(chunk as Buffer);
    }
    const result = await fn(JSON.parse(Buffer.concat(chunks).toString("utf8") || "null"));
    return reply(200, result ?? null);
  } catch (error) {
    const { name, message } = isError(error) ? error : new Error(String(error));
    return reply(CLIENT_ERRORS.has(name) ? 400 : 500, { errorType: name, errorMessage: message });
  }
}

/** Compares in constant time, so the token cannot be guessed a character at a time. */
function hasToken(sent: string | string[] | undefined, token: string): boolean {
  if (typeof sent !== "string") return false;
  const [a, b] = [Buffer.from(sent), Buffer.from(token)];
  return a.length === b.length && timingSafeEqual(a, b);
}

function isError(value: unknown): value is Error {
  return typeof value === "object" && value !== null && "name" in value && "message" in value;
}
