import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface DbtJobScript {
  /** The statuses successive polls of a run of this job report (the last repeats). */
  statuses: number[];
  statusMessage?: string;
}

/** A dbt Cloud API v2 stand-in on 127.0.0.1: trigger, get and cancel runs, with scripted statuses and failures. */
export async function startDbtCloudServer(options: { accountId: string; token: string }) {
  const jobs = new Map<string, DbtJobScript>();
  const runs = new Map<number, { job: string; polls: number; cancelled: boolean }>();
  const requests: { method: string; path: string; body?: unknown; authorization?: string }[] = [];
  const failures: { status: number; retryAfter?: string; body?: string }[] = [];
  let nextRunId = 1000;

  const server = createServer((request, response) => void handle(request, response));
  async function handle(request: IncomingMessage, response: ServerResponse) {
    const body = await readBody(request);
    const path = request.url ?? "";
    requests.push({
      method: request.method ?? "",
      path,
      ...(body !== undefined && { body }),
      authorization: request.headers.authorization,
    });
    const reply = (status: number, data: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { "content-type": "application/json", ...headers });
      response.end(JSON.stringify(data));
    };
    const failure = failures.shift();
    if (failure) {
      return reply(
        failure.status,
        { status: { code: failure.status, user_message: failure.body ?? "scripted failure" } },
        failure.retryAfter ? { "retry-after": failure.retryAfter } : {},
      );
    }
    if (request.headers.authorization !== `Token ${options.token}`) {
      return reply(401, { status: { code: 401, user_message: "Invalid token." } });
    }
    const prefix = `/api/v2/accounts/${options.accountId}/`;
    if (!path.startsWith(prefix)) return reply(404, { status: { code: 404, user_message: "Not found." } });
    const rest = path.slice(prefix.length);
    const trigger = /^jobs\/(\w+)\/run\/$/.exec(rest);
    if (trigger && request.method === "POST") {
      if (!jobs.has(trigger[1]!)) return reply(404, { status: { code: 404, user_message: "Job not found." } });
      const id = nextRunId++;
      runs.set(id, { job: trigger[1]!, polls: 0, cancelled: false });
      return reply(200, {
        data: { id, status: 1, status_humanized: "Queued", href: `https://cloud.example/runs/${id}` },
      });
    }
    const cancel = /^runs\/(\d+)\/cancel\/$/.exec(rest);
    if (cancel && request.method === "POST") {
      const run = runs.get(Number(cancel[1]));
      if (run) run.cancelled = true;
      return reply(200, { data: { id: Number(cancel[1]), status: 30, status_humanized: "Cancelled" } });
    }
    const get = /^runs\/(\d+)\/$/.exec(rest);
    if (get && request.method === "GET") {
      const run = runs.get(Number(get[1]))!;
      const script = jobs.get(run.job)!;
      const status = run.cancelled ? 30 : script.statuses[Math.min(run.polls++, script.statuses.length - 1)]!;
      return reply(200, {
        data: {
          id: Number(get[1]),
          status,
          status_humanized: { 1: "Queued", 2: "Starting", 3: "Running", 10: "Success", 20: "Error", 30: "Cancelled" }[
            status
          ],
          status_message: status === 20 ? (script.statusMessage ?? null) : null,
          href: `https://cloud.example/runs/${get[1]}`,
          is_complete: status >= 10,
        },
      });
    }
    return reply(404, { status: { code: 404, user_message: "Not found." } });
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    jobs,
    runs,
    requests,
    /** The next answers, whatever the request. */
    fail: (...next: { status: number; retryAfter?: string; body?: string }[]) => failures.push(...next),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? JSON.parse(text) : undefined;
}
