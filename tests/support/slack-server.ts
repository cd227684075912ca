import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface ScriptedResponse {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** Slack takes the message, but the answer never reaches the poster (the connection drops). */
  loseResponse?: boolean;
}

/**
 * A Slack incoming-webhook stand-in on 127.0.0.1: records every JSON body posted (a message counts as posted once its
 * body arrived, whether or not the answer reaches the poster) and answers from a script (then 200 "ok", as Slack does).
 */
export async function startSlackServer() {
  const received: { text: string; blocks: object[] }[] = [];
  const script: ScriptedResponse[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      const next = script.shift() ?? { status: 200, body: "ok" };
      if (next.loseResponse) {
        request.socket.destroy();
        return;
      }
      response.writeHead(next.status, { "content-type": "text/plain", ...next.headers });
      response.end(next.body ?? "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T000/B000/XXXXSECRETXXXX`,
    received,
    /** Queues answers for the next posts. */
    respond: (...responses: ScriptedResponse[]) => script.push(...responses),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
