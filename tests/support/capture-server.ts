import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface CapturedRequest {
  method: string;
  /** The URL the client meant to reach (see `routeHosts`), or the one it reached. */
  url: string;
  authorization?: string;
  body: string;
}

/**
 * An "attacker" on 127.0.0.1: records every request it receives, headers and body, and answers as dbt Cloud would to
 * a triggered job, so a client that trusts it carries on talking to it.
 */
export async function startCaptureServer(
  answer: (request: IncomingMessage, response: ServerResponse) => void = (_, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ data: { id: 1, status: 10, status_humanized: "Success" } }));
  },
) {
  const received: CapturedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({
        method: request.method ?? "",
        url: String(request.headers["x-original-url"] ?? `http://${request.headers.host}${request.url}`),
        ...(request.headers.authorization !== undefined && { authorization: request.headers.authorization }),
        body: Buffer.concat(chunks).toString("utf8"),
      });
      answer(request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
