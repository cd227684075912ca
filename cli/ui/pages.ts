import type { FlowDefinition } from "../../flows/registry/flow-definition";
import { describeParam } from "../../flows/registry/flow-params";
import { nextFireTimes, scheduleSpecOf } from "../../flows/registry/schedule";
import { classifyFailure, FailureClass } from "../../lambdas/core/classify-failure";
import type { FlowPause, Watermark } from "../../lambdas/core/ports";
import type { Run, RunTransition } from "../../lambdas/core/run";
import { Trigger, isTerminal, RUN_STATES } from "../../contracts/run-states";
import { describeStarts, duration } from "../format";
import type { TaskLogLine } from "../task-log-reader";
import { durationChart } from "./chart";
import type { SafeHtml } from "./html";
import { html } from "./html";

/** What every page knows of where it is: the environment, whether actions are allowed, the session's CSRF token. */
export interface PageContext {
  env: string;
  actionsAllowed: boolean;
  /** Why actions are not allowed, when they are not. */
  actionsRefusal?: string;
  csrfToken: string;
  now: Date;
}

export interface FlowSummary {
  flow: FlowDefinition;
  pause?: FlowPause;
  watermark?: Watermark;
  /** Newest first. */
  runs: Run[];
}

const runLink = (runId: string) => `/run?id=${encodeURIComponent(runId)}`;

/** The frame of every page: plain HTML, styles and script from this server only (the CSP allows nothing else). */
export function layout(page: PageContext, title: string, body: SafeHtml): SafeHtml {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · data-flows ${page.env}</title>
        <link rel="stylesheet" href="/assets/app.css" />
        <script src="/assets/app.js" defer></script>
      </head>
      <body>
        <header class="env-${page.env}">
          <nav aria-label="main"><a href="/">Flows</a> <a href="/runs">Runs</a></nav>
          <span class="env">environment: <strong>${page.env}</strong>${page.actionsAllowed ? "" : " (read only)"}</span>
        </header>
        <main id="main">
          <h1>${title}</h1>
          ${body}
        </main>
      </body>
    </html>`;
}

export function stateBadge(state: string): SafeHtml {
  return html`<span class="state ${state}">${state}</span>`;
}

/** Flows: schedule, next fires, pause, owner, the last 20 runs as squares and the durations chart. */
export function flowsPage(page: PageContext, flows: readonly FlowSummary[]): SafeHtml {
  return layout(page, "Flows", html`${flows.map((summary) => flowSection(page, summary))}`);
}

function flowSection(page: PageContext, { flow, pause, watermark, runs }: FlowSummary): SafeHtml {
  const schedule = describeStarts(flow);
  const fires =
    flow.schedule?.enabled && !pause
      ? nextFireTimes(scheduleSpecOf(flow.schedule), flow.schedule.timezone, page.now, 3).map((fire) =>
          fire.toISOString(),
        )
      : [];
  return html`<section class="flow" aria-labelledby="flow-${flow.name}">
    <h2 id="flow-${flow.name}">
      <a href="/runs?flow=${encodeURIComponent(flow.name)}">${flow.name}</a
      >${pause ? html` ${stateBadge("PAUSED")}` : ""}
    </h2>
    <p>${flow.description}</p>
    <dl>
      <dt>owner</dt>
      <dd>${flow.owner}</dd>
      <dt>schedule</dt>
      <dd>${schedule}</dd>
      ${
        fires.length
          ? html`<dt>next fires</dt>
              <dd>
                ${fires.map((fire, index) => html`${index ? ", " : ""}<time datetime="${fire}">${fire.slice(0, 16).replace("T", " ")}</time>`)}
                UTC
              </dd>`
          : ""
      }
      ${
        pause
          ? html`<dt>paused</dt>
              <dd>
                by ${pause.pausedBy} at
                <time datetime="${pause.pausedAt}">${pause.pausedAt}</time>${pause.reason ? `: ${pause.reason}` : ""}
              </dd>`
          : ""
      }
      ${
        watermark
          ? html`<dt>watermark</dt>
              <dd>${watermark.value} (by <a href="${runLink(watermark.runId)}">${watermark.runId}</a>)</dd>`
          : ""
      }
    </dl>
    <p class="squares" aria-label="last ${Math.min(runs.length, 20)} runs, newest first">
      ${runs.slice(0, 20).map((run) => html`<a href="${runLink(run.runId)}" class="square ${run.state}" title="${run.runId}: ${run.state}${duration(run, page.now) ? `, ${duration(run, page.now)}` : ""}"><span class="visually-hidden">${run.runId} ${run.state}</span></a>`)}
    </p>
    ${durationChart(runs, flow.name)} ${flowActions(page, flow, pause)}
  </section>`;
}

function flowActions(page: PageContext, flow: FlowDefinition, pause: FlowPause | undefined): SafeHtml {
  if (!page.actionsAllowed) return html``;
  const params = Object.entries(flow.params).map(([name, schema]) => {
    const described = describeParam(schema);
    return html`<label
      >${name} <small>(${described.type}${described.required ? ", required" : ""})</small>
      <input name="param.${name}" placeholder="${described.default ?? ""}" ${described.required ? html` required` : ""}
    /></label> `;
  });
  return html`<details>
    <summary>Actions</summary>
    <form method="post" action="/actions/run" class="action">
      <input type="hidden" name="csrf" value="${page.csrfToken}" /><input
        type="hidden"
        name="flow"
        value="${flow.name}"
      />${params}<button>Run now</button>
    </form>
    <form method="post" action="/actions/${pause ? "resume" : "pause"}" class="action">
      <input type="hidden" name="csrf" value="${page.csrfToken}" /><input
        type="hidden"
        name="flow"
        value="${flow.name}"
      />${pause ? "" : html`<label>reason <input name="reason" maxlength="500" /></label> `}<button>
        ${pause ? "Resume" : "Pause"}
      </button>
    </form>
  </details>`;
}

export interface RunsQuery {
  flow?: string;
  state?: string;
  trigger?: string;
  since?: string;
  before?: string;
}

/** Runs: newest first, filtered by flow, state, trigger and date, 50 a page; the first page follows changes. */
export function runsPage(
  page: PageContext,
  flowNames: readonly string[],
  query: RunsQuery,
  runs: readonly Run[],
  next: string | undefined,
): SafeHtml {
  const select = (name: string, options: readonly string[], selected: string | undefined) =>
    html`<label
      >${name}
      <select name="${name}">
        <option value="">any</option>
        ${options.map((option) => html`<option${option === selected ? html` selected` : ""}>${option}</option>`)}
      </select></label
    > `;
  const filters = new URLSearchParams(
    Object.entries(query).filter((entry): entry is [string, string] => Boolean(entry[1]) && entry[0] !== "before"),
  );
  const live = query.before ? "" : `/fragments/runs?${filters.toString()}`;
  return layout(
    page,
    "Runs",
    html`<form method="get" action="/runs" class="filters">
${select("flow", flowNames, query.flow)}${select("state", RUN_STATES, query.state)}${select("trigger", Object.values(Trigger), query.trigger)}
<label>since <input type="date" name="since" value="${query.since ?? ""}"></label>
<button>Filter</button></form>
<table class="runs"><caption class="visually-hidden">runs, newest first</caption>
<thead><tr><th scope="col">run</th><th scope="col">state</th><th scope="col">attempt</th><th scope="col">trigger</th><th scope="col">created (UTC)</th><th scope="col">duration</th><th scope="col">reason</th></tr></thead>
<tbody${live ? html` data-live="${live}"` : ""}>${runRows(page, runs)}</tbody></table>
${next ? html`<p><a rel="next" href="/runs?${filters.toString()}${filters.size ? "&" : ""}before=${encodeURIComponent(next)}">older runs</a></p>` : ""}`,
  );
}

export function runRows(page: PageContext, runs: readonly Run[]): SafeHtml {
  if (runs.length === 0)
    return html`<tr>
      <td colspan="7">no runs</td>
    </tr>`;
  return html`${runs.map(
    (run) =>
      html`<tr>
        <td><a href="${runLink(run.runId)}">${run.runId}</a></td>
        <td>${stateBadge(run.state)}</td>
        <td>${run.attempt}/${run.maxAttempts}</td>
        <td>${run.trigger}</td>
        <td><time datetime="${run.createdAt}">${run.createdAt.slice(0, 19).replace("T", " ")}</time></td>
        <td>${duration(run, page.now)}</td>
        <td class="reason">${run.state === "SUCCEEDED" ? "" : (run.reason ?? "")}</td>
      </tr>`,
  )}`;
}

/** A run: its facts, its history and its logs; followed while it can still change. */
export function runPage(page: PageContext, run: Run, live: SafeHtml, attempt?: number): SafeHtml {
  const follow = `/fragments/run?id=${encodeURIComponent(run.runId)}${attempt ? `&attempt=${attempt}` : ""}`;
  return layout(
    page,
    run.runId,
    html`<div data-live="${follow}">${live}</div>
      ${runActions(page, run)}`,
  );
}

/** The part of a run's page that changes: what a follower re-reads every few seconds. */
export function runLive(
  page: PageContext,
  run: Run,
  logs: { attempt: number; lines: readonly TaskLogLine[]; note?: string },
): SafeHtml {
  const facts: [string, SafeHtml | string | undefined][] = [
    ["state", stateBadge(run.state)],
    ["attempt", `${run.attempt} of ${run.maxAttempts}`],
    ["trigger", run.trigger],
    ["data interval", `${run.dataInterval.start} → ${run.dataInterval.end}`],
    ["params", Object.keys(run.params).length ? JSON.stringify(run.params) : undefined],
    ["exit code", run.exitCode === undefined ? undefined : String(run.exitCode)],
    ["stop code", run.stopCode],
    ["failure class", failureClassOf(run)],
    ["failure", run.state === "SUCCEEDED" ? undefined : run.reason],
    ["duration", duration(run, page.now) || undefined],
    ["rerun of", run.rerunOf],
    ["backfill", run.backfillId],
  ];
  const attempts = Array.from({ length: run.attempt }, (_, index) => index + 1);
  return html`<dl class="facts">
      ${facts
        .filter((fact): fact is [string, SafeHtml | string] => fact[1] !== undefined)
        .map(
          ([label, value]) =>
            html`<dt>${label}</dt>
              <dd class="fact-${label.replace(" ", "-")}">${value}</dd>`,
        )}
    </dl>
    <h2>History</h2>
    <table class="history">
      <thead>
        <tr>
          <th scope="col">at</th>
          <th scope="col">state</th>
          <th scope="col">attempt</th>
          <th scope="col">source</th>
          <th scope="col">detail</th>
        </tr>
      </thead>
      <tbody>
        ${run.history.map((entry) => historyRow(entry))}
      </tbody>
    </table>
    <h2>Logs of attempt ${logs.attempt}</h2>
    ${attempts.length > 1 ? html`<p>attempts: ${attempts.map((attempt) => html`<a href="${runLink(run.runId)}&amp;attempt=${attempt}" ${attempt === logs.attempt ? html` aria-current="page"` : ""}>${attempt}</a> `)}</p>` : ""}
    ${logs.note ? html`<p class="muted">${logs.note}</p>` : ""}
    <pre class="logs" tabindex="0" aria-label="log lines">${logs.lines.map(logText).join("\n")}</pre>
    ${isTerminal(run.state) ? "" : html`<p class="muted" role="status">following: this page updates as the run changes</p>`}`;
}

/** How the run's last attempt failed, as the retry policy and the alert classify it; nothing for one that did not. */
function failureClassOf(run: Run): string | undefined {
  if (run.state === "TIMED_OUT") return FailureClass.timeout;
  if (run.state === "LOST") return FailureClass.lost;
  if (!["FAILED", "RETRYING", "CANCELLED"].includes(run.state)) return undefined;
  return classifyFailure({
    ...(run.exitCode !== undefined && { exitCode: run.exitCode }),
    ...(run.stopCode !== undefined && { stopCode: run.stopCode }),
    ...(run.reason !== undefined && { reason: run.reason }),
  });
}

function historyRow(entry: RunTransition): SafeHtml {
  const detail = [entry.exitCode !== undefined ? `exit ${entry.exitCode}` : undefined, entry.stopCode, entry.reason]
    .filter(Boolean)
    .join("; ");
  return html`<tr>
    <td><time datetime="${entry.at}">${entry.at}</time></td>
    <td>${stateBadge(entry.state)}</td>
    <td>${entry.attempt}</td>
    <td>${entry.source}</td>
    <td>${detail}</td>
  </tr>`;
}

/** A flow runtime line is JSON: show its message (and error) for people; anything else as it was written. */
function logText(line: TaskLogLine): string {
  try {
    const parsed = JSON.parse(line.message) as {
      level?: string;
      message?: string;
      timestamp?: string;
      error?: { message?: string };
    };
    if (typeof parsed.message === "string") {
      return `${(parsed.timestamp ?? "").slice(11, 19)} ${parsed.level ?? ""} ${parsed.message}${parsed.error?.message ? `: ${parsed.error.message}` : ""}`;
    }
  } catch {
    // not JSON: a plain line
  }
  return line.message;
}

function runActions(page: PageContext, run: Run): SafeHtml {
  if (!page.actionsAllowed) return page.actionsRefusal ? html`<p class="muted">${page.actionsRefusal}</p>` : html``;
  const hidden = html`<input type="hidden" name="csrf" value="${page.csrfToken}" /><input
      type="hidden"
      name="runId"
      value="${run.runId}"
    />`;
  return html`<h2>Actions</h2>
    ${
      isTerminal(run.state)
        ? ""
        : html`<form method="post" action="/actions/cancel" class="action">
            ${hidden}<label>reason <input name="reason" maxlength="500" /></label> <button>Cancel run</button>
          </form>`
    }
    <form method="post" action="/actions/rerun" class="action">${hidden}<button>Re-run</button></form>`;
}

/** The step between a button and its effect: what will happen, and a form that does it. */
export function confirmPage(page: PageContext, action: string, what: string, fields: Record<string, string>): SafeHtml {
  return layout(
    page,
    `Confirm: ${action}`,
    html`<p>${what}</p>
      <form method="post" action="/actions/${action}">
        ${Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`)}
        <input type="hidden" name="csrf" value="${page.csrfToken}" /><input
          type="hidden"
          name="confirmed"
          value="yes"
        />
        <button autofocus>Confirm: ${action}</button> <a href="/">Back</a>
      </form>`,
  );
}

export function messagePage(page: PageContext, title: string, message: string): SafeHtml {
  return layout(
    page,
    title,
    html`<p role="alert">${message}</p>
      <p><a href="/">Back to flows</a></p>`,
  );
}
