import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A function the local API can invoke, as Lambda Invoke would: JSON in, JSON out, errors reported by name. */
export type LocalFunction = (event: unknown) => Promise<unknown>;

/** Errors that mean the request was wrong (HTTP 400) rather than the control plane (HTTP 500). */
const CLIENT_ERRORS = new Set(["InvalidLaunchRequestError", "UnknownFlowError", "MalformedEventError", "SyntaxError"]);
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The local stand-in for Lambda Invoke: `POST /functions/<name>/invocations` on 127.0.0.1 runs the named handler.
 * The CLI starts runs through it exactly as it invokes the launcher function in AWS.
 */
export async function startInvokeApi(functions: Record<string, LocalFunction>, port: number) {
  const server: Server = createServer((request, response) => {
    void handle(functions, request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function handle(functions: Record<string, LocalFunction>, request: IncomingMessage, response: ServerResponse) {
  const reply = (status: number, body: unknown) => {
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify(body));
  };
  const match = /^\/functions\/([a-z-]+)\/invocations$/.exec(request.url ?? "");
  const fn = match ? functions[match[1]!] : undefined;
  if (request.method === "GET" && request.url === "/health") return reply(200, { ok: true });
  if (request.method !== "POST" || !fn)
    return reply(404, { errorType: "NotFound", errorMessage: `no function at ${request.url}` });
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES)
        return reply(413, { errorType: "PayloadTooLarge", errorMessage: "payload over 1 MiB" });
      chunks.push(chunk as Buffer);
    }
    const result = await fn(JSON.parse(Buffer.concat(chunks).toString("utf8") || "null"));
    return reply(200, result ?? null);
  } catch (error) {
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    return reply(CLIENT_ERRORS.has(name) ? 400 : 500, { errorType: name, errorMessage: message });
  }
}
