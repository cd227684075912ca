import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { checkParams, describeParamProblems } from "../../flows/registry/flow-params";
import type { FlowRegistry } from "../../flows/registry/flow-registry";
import { randomNonces } from "../../lambdas/adapters/random-nonces";
import { MAX_REASON_CHARACTERS } from "../../contracts/launch-commands";
import type { Run } from "../../lambdas/core/run";
import { Trigger } from "../../contracts/run-states";
import { flowOfRunId } from "../../lambdas/core/run-id";
import { isRunState, isTerminal } from "../../contracts/run-states";
import type { Target } from "../local-target";
import { attemptEnded, taskOfAttempt } from "../log-follower";
import { listRuns } from "../run-listing";
import type { TaskLogLine } from "../task-log-reader";
import { APP_CSS, APP_JS } from "./assets";
import type { SafeHtml } from "./html";
import type { FlowSummary, PageContext, RunsQuery } from "./pages";
import { confirmPage, flowsPage, messagePage, runLive, runPage, runRows, runsPage } from "./pages";

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

/** Runs a page of the list shows. */
const PAGE_SIZE = 50;
/** The most log lines a run's page shows: the last ones. */
const LOG_LINES = 500;
/** Logs whose read position the page keeps (the most recently looked at). */
const MAX_FOLLOWED_LOGS = 200;
/** A form post larger than this is refused. */
const MAX_BODY_BYTES = 64 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The run-history page: served on 127.0.0.1 by the operator's own process (`npm start`, `data-flows ui`), reading the
 * environment through the same target as the CLI, so nothing is hosted and nothing idles in AWS. Read-only views are
 * plain HTML; a small script re-reads the parts that change. State-changing requests are POSTs carrying this
 * session's token, from this origin, confirmed on a page of their own.
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

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      send(response, status, messagePage(context(), status === 500 ? "Something went wrong" : "Refused", message));
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // Only this address: a page that resolves another name to 127.0.0.1 (DNS rebinding) is not served.
    if (request.headers.host !== new URL(origin).host)
      throw new HttpError(421, "this server answers only for " + origin);
    const url = new URL(request.url ?? "/", origin);
    if (url.pathname.startsWith("/assets/")) return asset(response, url.pathname);
    if (url.searchParams.has("key")) {
      if (!sameToken(url.searchParams.get("key")!, sessionKey)) throw new HttpError(401, "that key is not this page's");
      url.searchParams.delete("key");
      response.writeHead(303, {
        ...SECURITY_HEADERS,
        "set-cookie": `${SESSION_COOKIE}=${sessionKey}; HttpOnly; SameSite=Strict; Path=/`,
        location: `${url.pathname.replace(/^\/+/, "/")}${url.search}`, // a path of this server, never `//elsewhere`
      });
      return void response.end();
    }
    if (!sameToken(cookieOf(request, SESSION_COOKIE) ?? "", sessionKey)) {
      throw new HttpError(401, "open the address the command printed: it carries this page's key");
    }
    if (request.method === "POST") return action(request, response, url);
    if (request.method !== "GET" && request.method !== "HEAD") throw new HttpError(405, "GET or POST only");
    switch (url.pathname) {
      case "/":
        return send(response, 200, flowsPage(context(), await flowSummaries()));
      case "/runs": {
        const query = runsQuery(url);
        const { runs, next } = await listRuns(options.target.runs, options.registry, runFilter(query));
        return send(response, 200, runsPage(context(), options.registry.names, query, runs, next));
      }
      case "/fragments/runs": {
        const { runs } = await listRuns(options.target.runs, options.registry, runFilter(runsQuery(url)));
        return send(response, 200, runRows(context(), runs));
      }
      case "/run":
      case "/fragments/run": {
        const run = await requireRun(url.searchParams.get("id"));
        const asked = Number(url.searchParams.get("attempt") ?? run.attempt);
        const attempt = Number.isInteger(asked) && asked >= 1 && asked <= run.attempt ? asked : run.attempt;
        const live = runLive(context(), run, await logsOf(run, attempt));
        if (url.pathname === "/run") {
          return send(
            response,
            200,
            runPage(context(), run, live, url.searchParams.has("attempt") ? attempt : undefined),
          );
        }
        return send(response, 200, live, isTerminal(run.state) ? { "x-live": "final" } : {});
      }
      default:
        throw new HttpError(404, `nothing at ${url.pathname}`);
    }
  }

  async function action(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    // A state change comes from a form of this page: same origin, this session's token.
    const site = request.headers["sec-fetch-site"];
    if (request.headers.origin !== undefined && request.headers.origin !== origin)
      throw new HttpError(403, "refused: a request from another origin");
    if (site !== undefined && site !== "same-origin" && site !== "none")
      throw new HttpError(403, "refused: a cross-site request");
    const form = await readForm(request);
    if (!sameToken(form.get("csrf") ?? "", csrfToken))
      throw new HttpError(403, "refused: the request does not carry this page's token (reload the page)");
    if (!options.allowActions) throw new HttpError(403, context().actionsRefusal!);
    const name = url.pathname.replace(/^\/actions\//, "");
    const confirmed = form.get("confirmed") === "yes";
    // One request id per confirmation page: a double-click on "Confirm" (or a resubmitted form) starts one run.
    const requestId = /^[a-z0-9]{10}$/.test(form.get("requestId") ?? "")
      ? form.get("requestId")!
      : randomNonces.nonce();
    const fields = {
      ...Object.fromEntries([...form.entries()].filter(([key]) => key !== "csrf" && key !== "confirmed")),
      requestId,
    };
    const requestedBy = options.operator;
    switch (name) {
      case "run": {
        const flow = options.registry.require(form.get("flow") ?? "");
        const params = Object.fromEntries(
          [...form.entries()]
            .filter(([key, value]) => key.startsWith("param.") && value !== "")
            .map(([key, value]) => [key.slice("param.".length), value]),
        );
        const checked = checkParams(flow.params, params);
        if (!checked.ok) throw new HttpError(400, `flow "${flow.name}": ${describeParamProblems(checked.problems)}`);
        if (!confirmed) {
          return send(
            response,
            200,
            confirmPage(
              context(),
              "run",
              `Start a run of ${flow.name} now with ${JSON.stringify(checked.params)}?`,
              fields,
            ),
          );
        }
        const started = (await options.target.invokeLauncher({
          kind: "manual",
          flow: flow.name,
          params,
          requestId,
        })) as { runId: string };
        return redirect(response, `/run?id=${encodeURIComponent(started.runId)}`);
      }
      case "cancel":
      case "rerun": {
        const run = await requireRun(form.get("runId"));
        if (!confirmed) {
          const what =
            name === "cancel"
              ? `Cancel ${run.runId} (${run.state})? Its task is stopped and it is not retried.`
              : `Start a new run of ${run.flow} with the params and data interval of ${run.runId}?`;
          return send(response, 200, confirmPage(context(), name, what, fields));
        }
        const reason = form.get("reason");
        const answer = (await options.target.invokeLauncher(
          name === "cancel"
            ? {
                kind: "cancel",
                flow: run.flow,
                runId: run.runId,
                requestedBy,
                ...(reason && { reason: reason.slice(0, MAX_REASON_CHARACTERS) }),
              }
            : { kind: "rerun", flow: run.flow, runId: run.runId, requestedBy, requestId },
        )) as { runId: string };
        return redirect(response, `/run?id=${encodeURIComponent(answer.runId)}`);
      }
      case "pause":
      case "resume": {
        const flow = options.registry.require(form.get("flow") ?? "");
        if (!confirmed) {
          const what =
            name === "pause"
              ? `Pause ${flow.name}? Its schedule and upstream fires are recorded SKIPPED until it is resumed.`
              : `Resume ${flow.name}? Its next fires launch again.`;
          return send(response, 200, confirmPage(context(), name, what, fields));
        }
        const reason = form.get("reason");
        await options.target.invokeLauncher({
          kind: name,
          flow: flow.name,
          requestedBy,
          ...(name === "pause" && reason && { reason: reason.slice(0, MAX_REASON_CHARACTERS) }),
        });
        return redirect(response, "/");
      }
      default:
        throw new HttpError(404, `no action ${name}`);
    }
  }

  function asset(response: ServerResponse, path: string): void {
    if (path === "/assets/app.css") return sendAsset(response, "text/css", APP_CSS);
    if (path === "/assets/app.js") return sendAsset(response, "text/javascript", APP_JS);
    throw new HttpError(404, `nothing at ${path}`);
  }

  async function flowSummaries(): Promise<FlowSummary[]> {
    return Promise.all(
      options.registry.flows.map(async (flow) => {
        const [runs, pause, watermark] = await Promise.all([
          options.target.runs.listByFlow(flow.name, { limit: 50 }),
          options.target.flowState.pauseOf(flow.name),
          flow.watermark ? options.target.flowState.watermarkOf(flow.name) : undefined,
        ]);
        return { flow, runs, ...(pause && { pause }), ...(watermark && { watermark }) };
      }),
    );
  }

  async function requireRun(runId: string | null): Promise<Run> {
    if (!runId || !flowOfRunId(runId)) throw new HttpError(400, "which run? (?id=<flow>/<id>)");
    const run = await options.target.runs.get(runId);
    if (!run) throw new HttpError(404, `no run ${runId}`);
    return run;
  }

  /**
   * The last lines of one attempt's log, from the same source as `data-flows logs`. Each task's read position is
   * kept, so following a run reads only what was written since the last look, however long the log grows.
   */
  const logs = new Map<string, { lines: TaskLogLine[]; cursor?: string }>();
  async function logsOf(run: Run, attempt: number): Promise<{ attempt: number; lines: TaskLogLine[]; note?: string }> {
    const taskId = taskOfAttempt(run, attempt);
    if (!taskId)
      return { attempt, lines: [], note: attemptEnded(run, attempt) ? "this attempt never got a task" : "no task yet" };
    const key = `${run.flow}/${taskId}`;
    const seen = logs.get(key) ?? { lines: [] };
    logs.delete(key);
    logs.set(key, seen); // most recently used last
    if (logs.size > MAX_FOLLOWED_LOGS) logs.delete(logs.keys().next().value!);
    for (let pages = 0; pages < 50; pages += 1) {
      const page = await options.target.logs.read(
        run.flow,
        taskId,
        seen.cursor === undefined ? {} : { cursor: seen.cursor },
      );
      seen.lines.push(...page.lines);
      if (seen.lines.length > LOG_LINES) seen.lines.splice(0, seen.lines.length - LOG_LINES);
      seen.cursor = page.cursor;
      if (page.end) break;
    }
    return { attempt, lines: [...seen.lines] };
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

function runsQuery(url: URL): RunsQuery {
  const get = (name: string) => url.searchParams.get(name) || undefined;
  const query: RunsQuery = {};
  for (const name of ["flow", "state", "trigger", "since", "before"] as const) {
    const value = get(name);
    if (value !== undefined) query[name] = value;
  }
  return query;
}

function runFilter(query: RunsQuery) {
  if (query.state && !isRunState(query.state)) throw new HttpError(400, `no state ${query.state}`);
  if (query.trigger && !(Object.values(Trigger) as string[]).includes(query.trigger))
    throw new HttpError(400, `no trigger ${query.trigger}`);
  const since = query.since ? new Date(query.since) : undefined;
  if (since && Number.isNaN(since.getTime())) throw new HttpError(400, `since: not a date: ${query.since}`);
  return {
    limit: PAGE_SIZE,
    ...(query.flow && { flow: query.flow }),
    ...(query.state && isRunState(query.state) && { state: query.state }),
    ...(query.trigger && { trigger: query.trigger as Trigger }),
    ...(since && { since: since.toISOString() }),
    ...(query.before && { before: query.before }),
  };
}

/** Headers every answer carries: nothing but this server's own script and styles, never framed, never sniffed. */
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  // Not no-referrer: with it a browser sends `Origin: null` on this page's own form posts, which the origin check refuses.
  "referrer-policy": "same-origin",
  "cache-control": "no-store",
};

function send(response: ServerResponse, status: number, body: SafeHtml, headers: Record<string, string> = {}): void {
  response.writeHead(status, { ...SECURITY_HEADERS, "content-type": "text/html; charset=utf-8", ...headers });
  response.end(body.markup);
}

function sendAsset(response: ServerResponse, type: string, body: string): void {
  response.writeHead(200, {
    ...SECURITY_HEADERS,
    "content-type": `${type}; charset=utf-8`,
    "cache-control": "max-age=300",
  });
  response.end(body);
}

function redirect(response: ServerResponse, location: string): void {
  response.writeHead(303, { ...SECURITY_HEADERS, location });
  response.end();
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  if (!(request.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded"))
    throw new HttpError(415, "refused: a form post only");
  let body = "";
  for await (const chunk of request) {
    body += String(chunk);
    if (body.length > MAX_BODY_BYTES) throw new HttpError(413, "refused: too large");
  }
  return new URLSearchParams(body);
}

const SESSION_COOKIE = "data_flows_page";

function cookieOf(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
