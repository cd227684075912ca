import type { ServerResponse } from "node:http";
import type { FlowRegistry } from "../../flows/registry/flow-registry";
import { isRunState, isTerminal, TRIGGERS } from "../../contracts/run-states";
import type { Trigger } from "../../contracts/run-states";
import type { Run } from "../../lambdas/core/run";
import { flowOfRunId } from "../../lambdas/core/run-id";
import type { Target } from "../local-target";
import { attemptEnded, taskOfAttempt } from "../log-follower";
import { listRuns } from "../run-listing";
import type { TaskLogLine } from "../task-log-reader";
import { APP_CSS, APP_JS } from "./assets";
import { HttpError, send, sendAsset } from "./http";
import type { FlowSummary, PageContext, RunsQuery } from "./pages";
import { flowsPage, runLive, runPage, runRows, runsPage } from "./pages";

/** Runs a page of the list shows. */
const PAGE_SIZE = 50;
/** The most log lines a run's page shows: the last ones. */
const LOG_LINES = 500;
/** Logs whose read position the page keeps (the most recently looked at). */
const MAX_FOLLOWED_LOGS = 200;

export interface ViewDeps {
  target: Target;
  registry: FlowRegistry;
  context: () => PageContext;
}

/**
 * The pages that only read: the flows, the run list (and the rows the script re-reads), a run with its live part,
 * and the page's own assets. Everything is read through the CLI's target, as `data-flows runs` and `show` read it.
 */
export function createViews(deps: ViewDeps) {
  const { target, registry } = deps;
  const logsOf = followedLogs(target);

  async function flowSummaries(): Promise<FlowSummary[]> {
    return Promise.all(
      registry.flows.map(async (flow) => {
        const [runs, pause, watermark] = await Promise.all([
          target.runs.listByFlow(flow.name, { limit: 50 }),
          target.flowState.pauseOf(flow.name),
          flow.watermark ? target.flowState.watermarkOf(flow.name) : undefined,
        ]);
        return { flow, runs, ...(pause && { pause }), ...(watermark && { watermark }) };
      }),
    );
  }

  /** Answers a GET (or HEAD) of `url`. */
  return async function view(url: URL, response: ServerResponse): Promise<void> {
    const context = deps.context();
    switch (url.pathname) {
      case "/":
        return send(response, 200, flowsPage(context, await flowSummaries()));
      case "/runs": {
        const query = runsQuery(url);
        const { runs, next } = await listRuns(target.runs, registry, runFilter(query));
        return send(response, 200, runsPage(context, registry.names, query, runs, next));
      }
      case "/fragments/runs": {
        const { runs } = await listRuns(target.runs, registry, runFilter(runsQuery(url)));
        return send(response, 200, runRows(context, runs));
      }
      case "/run":
      case "/fragments/run": {
        const run = await requireRun(target, url.searchParams.get("id"));
        const asked = Number(url.searchParams.get("attempt") ?? run.attempt);
        const attempt = Number.isInteger(asked) && asked >= 1 && asked <= run.attempt ? asked : run.attempt;
        const live = runLive(context, run, await logsOf(run, attempt));
        if (url.pathname === "/run") {
          return send(
            response,
            200,
            runPage(context, run, live, url.searchParams.has("attempt") ? attempt : undefined),
          );
        }
        return send(response, 200, live, isTerminal(run.state) ? { "x-live": "final" } : {});
      }
      default:
        throw new HttpError(404, `nothing at ${url.pathname}`);
    }
  };
}

/** The page's own styles and script: served to anyone, as they hold nothing of the environment. */
export function serveAsset(response: ServerResponse, path: string): void {
  if (path === "/assets/app.css") return sendAsset(response, "text/css", APP_CSS);
  if (path === "/assets/app.js") return sendAsset(response, "text/javascript", APP_JS);
  throw new HttpError(404, `nothing at ${path}`);
}

/** The run a request names (`?id=<flow>/<id>`), or a 400 or 404 saying what is wrong. */
export async function requireRun(target: Target, runId: string | null): Promise<Run> {
  if (!runId || !flowOfRunId(runId)) throw new HttpError(400, "which run? (?id=<flow>/<id>)");
  const run = await target.runs.get(runId);
  if (!run) throw new HttpError(404, `no run ${runId}`);
  return run;
}

/**
 * The last lines of one attempt's log, from the same source as `data-flows logs`. Each task's read position is
 * kept, so following a run reads only what was written since the last look, however long the log grows.
 */
function followedLogs(target: Target) {
  const logs = new Map<string, { lines: TaskLogLine[]; cursor?: string }>();
  return async (run: Run, attempt: number): Promise<{ attempt: number; lines: TaskLogLine[]; note?: string }> => {
    const taskId = taskOfAttempt(run, attempt);
    if (!taskId)
      return { attempt, lines: [], note: attemptEnded(run, attempt) ? "this attempt never got a task" : "no task yet" };
    const key = `${run.flow}/${taskId}`;
    const seen = logs.get(key) ?? { lines: [] };
    logs.delete(key);
    logs.set(key, seen); // most recently used last
    if (logs.size > MAX_FOLLOWED_LOGS) logs.delete(logs.keys().next().value!);
    for (let pages = 0; pages < 50; pages += 1) {
      const page = await target.logs.read(run.flow, taskId, seen.cursor === undefined ? {} : { cursor: seen.cursor });
      seen.lines.push(...page.lines);
      if (seen.lines.length > LOG_LINES) seen.lines.splice(0, seen.lines.length - LOG_LINES);
      seen.cursor = page.cursor;
      if (page.end) break;
    }
    return { attempt, lines: [...seen.lines] };
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
  if (query.trigger && !(TRIGGERS as readonly string[]).includes(query.trigger))
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
