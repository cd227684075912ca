import type { FailureClass } from "./classify-failure";
import type { RunStateChanged } from "../../contracts/run-events";
import { RunState } from "../../contracts/run-states";

/** An incoming-webhook payload: Block Kit blocks with a plain `text` fallback for notifications. */
export interface SlackMessage {
  text: string;
  blocks: object[];
}

/**
 * Block Kit's limits (https://api.slack.com/reference/block-kit/blocks), counted on the text as sent, escapes
 * included: Slack refuses a message past any of them (400 `invalid_blocks`), and then nobody is paged.
 */
export const SLACK_LIMITS = {
  headerText: 150,
  sectionText: 3000,
  fieldText: 2000,
  fieldsPerSection: 10,
  blocks: 50,
  buttonText: 75,
  url: 3000,
} as const;
/** The fallback `text` shown in notifications: kept short, as Slack advises. */
const FALLBACK_MAX = 3000;
const REASON_MAX = 1000;
const TRUNCATED = "… (truncated)";

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeSlack(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** Shortens to at most `max` characters, saying so; never between the two halves of a surrogate pair. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${cutAt(text, max - TRUNCATED.length)}${TRUNCATED}`;
}

/**
 * Text escaped for mrkdwn, then cut to `max` characters as sent, never inside an escape it made nor a surrogate pair:
 * its start kept, or with `keep: "end"` its end (the last lines of a log are the ones that say why).
 */
export function fitMrkdwn(raw: string, max: number, options: { keep?: "start" | "end" } = {}): string {
  const escaped = escapeSlack(raw);
  if (escaped.length <= max) return escaped;
  const room = max - TRUNCATED.length;
  if (options.keep === "end") {
    let start = escaped.length - room;
    // Past the end of an escape or the low half of a pair that the cut would split.
    const entityEnd = escaped.indexOf(";", start);
    if (entityEnd !== -1 && entityEnd - start < 4 && escaped.lastIndexOf("&", entityEnd) < start) start = entityEnd + 1;
    if (isLowSurrogate(escaped.charCodeAt(start))) start += 1;
    return `${TRUNCATED}${escaped.slice(start)}`;
  }
  let end = room;
  const entity = escaped.lastIndexOf("&", end - 1);
  if (entity !== -1 && end - entity < 5 && escaped.indexOf(";", entity) >= end) end = entity;
  return `${cutAt(escaped, end)}${TRUNCATED}`;
}

/** The first `end` characters, one fewer when `end` would split a surrogate pair. */
function cutAt(text: string, end: number): string {
  return text.slice(0, isLowSurrogate(text.charCodeAt(end)) ? end - 1 : end);
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** A section showing `raw` as code under a label, within a section's limit as sent. */
function codeSection(label: string, raw: string, keep: "start" | "end" = "start"): object {
  const frame = `*${label}*\n\`\`\`\`\`\``;
  const body = fitMrkdwn(raw, SLACK_LIMITS.sectionText - frame.length, { keep });
  return { type: "section", text: { type: "mrkdwn", text: `*${label}*\n\`\`\`${body}\`\`\`` } };
}

/** A field's value: escaped, and within a field's limit with its label. */
const FIELD_VALUE_MAX = SLACK_LIMITS.fieldText - 32;
const fieldText = (raw: string) => fitMrkdwn(raw, FIELD_VALUE_MAX);

/** An owner written as a Slack mention (`<!subteam^ID>`, `<@U123>`) pings; anything else is shown as text. */
function owner(value: string): string {
  return /^<[@!][^<>]+>$/.test(value) && value.length <= FIELD_VALUE_MAX ? value : fieldText(value);
}

export interface RunAlert {
  environment: string;
  change: RunStateChanged;
  owner: string;
  failureClass?: FailureClass;
  retryScheduled: boolean;
  duration?: string;
  /** The run's data interval: which day (or hour) of data is missing. */
  dataInterval?: { start: string; end: string };
  logLink?: string;
  logTail?: string[];
}

const HEADLINE: Partial<Record<RunState, { emoji: string; what: string }>> = {
  [RunState.FAILED]: { emoji: ":red_circle:", what: "failed" },
  [RunState.TIMED_OUT]: { emoji: ":alarm_clock:", what: "timed out" },
  [RunState.LOST]: { emoji: ":grey_question:", what: "lost" },
  [RunState.RETRYING]: { emoji: ":warning:", what: "attempt failed" },
  [RunState.SKIPPED]: { emoji: ":fast_forward:", what: "skipped" },
};

/** The message for a failed, timed-out, lost or skipped run: everything on-call needs to act without digging. */
export function runAlertMessage(alert: RunAlert): SlackMessage {
  const { change } = alert;
  const headline = HEADLINE[change.to] ?? { emoji: ":warning:", what: change.to };
  const attempt = `${change.attempt} of ${change.maxAttempts}${alert.retryScheduled ? ", retry scheduled" : change.attempt < change.maxAttempts ? ", no retry" : ""}`;
  const fields: [string, string | undefined][] = [
    ["Environment", fieldText(alert.environment)],
    ["Flow", fieldText(change.flow)],
    ["Owner", owner(alert.owner)],
    ["Run", `\`${fieldText(change.runId)}\``],
    ["Attempt", attempt],
    ["Failure", alert.failureClass],
    ["Exit code", change.exitCode === undefined ? "none (the container never reported one)" : String(change.exitCode)],
    ["Stop code", change.stopCode ? fieldText(change.stopCode) : undefined],
    ["Duration", alert.duration],
    ["Data interval", alert.dataInterval && formatInterval(alert.dataInterval)],
  ];
  const blocks: object[] = [
    {
      type: "header",
      text: {
        type: "plain_text",
        text: truncate(`${change.flow} ${headline.what} (${alert.environment})`, SLACK_LIMITS.headerText),
      },
    },
    {
      type: "section",
      fields: fields
        .filter((field): field is [string, string] => field[1] !== undefined)
        .slice(0, SLACK_LIMITS.fieldsPerSection)
        .map(([label, value]) => ({ type: "mrkdwn", text: `*${label}*\n${value}` })),
    },
    ...(change.reason ? [codeSection("Reason", truncate(change.reason, REASON_MAX))] : []),
    ...(alert.logTail?.length ? [codeSection("Last log lines", alert.logTail.join("\n"), "end")] : []),
    ...(alert.logLink && alert.logLink.length <= SLACK_LIMITS.url
      ? [
          {
            type: "actions",
            elements: [
              { type: "button", text: { type: "plain_text", text: "Open the task's logs" }, url: alert.logLink },
            ],
          },
        ]
      : []),
  ];
  const exit = change.exitCode !== undefined ? `, exit ${change.exitCode}` : "";
  const summary = `${change.flow} ${headline.what} in ${alert.environment}, run ${change.runId}, attempt ${attempt}${exit}`;
  const because = change.reason ? `: ${truncate(change.reason, 200)}` : "";
  return { text: `${headline.emoji} ${fitMrkdwn(summary + because, FALLBACK_MAX)}`, blocks };
}

/** The short note posted when a flow succeeds after its previous run failed. */
export function recoveredMessage(environment: string, change: RunStateChanged, previousRunId: string): SlackMessage {
  const text = `:large_green_circle: ${fitMrkdwn(
    `${change.flow} recovered in ${environment}: run ${change.runId} succeeded after ${previousRunId} failed`,
    SLACK_LIMITS.sectionText - 24,
  )}`;
  return { text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] };
}

/** The one note a pause gets, at the first fire it holds: its fires are skipped, and nobody is paged for them. */
export function pausedMessage(environment: string, change: RunStateChanged): SlackMessage {
  const why = change.reason ? ` (${change.reason})` : "";
  const text = `:double_vertical_bar: ${fitMrkdwn(
    `${change.flow} is paused in ${environment}: its schedule and upstream fires are recorded SKIPPED${why}. ` +
      `This is the only notice for this pause; \`data-flows resume ${change.flow}\` lifts it.`,
    SLACK_LIMITS.sectionText - 24,
  )}`;
  return { text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] };
}

/** A CloudWatch alarm from the control plane itself (DLQ depth, function errors, throttles). */
export interface ControlPlaneAlarm {
  AlarmName: string;
  AlarmDescription?: string | null;
  NewStateValue: string;
  NewStateReason?: string;
  StateChangeTime?: string;
}

export function alarmMessage(environment: string, alarm: ControlPlaneAlarm): SlackMessage {
  const firing = alarm.NewStateValue === "ALARM";
  const icon = firing ? ":rotating_light:" : ":white_check_mark:";
  const text = `${icon} ${fitMrkdwn(`${alarm.AlarmName} is ${alarm.NewStateValue} (${environment})`, SLACK_LIMITS.sectionText - 24)}`;
  const lines = [alarm.AlarmDescription, alarm.NewStateReason]
    .filter(Boolean)
    .map((line) => truncate(line!, REASON_MAX));
  return {
    text,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `*${text}*` } },
      ...(lines.length
        ? [{ type: "section", text: { type: "mrkdwn", text: fitMrkdwn(lines.join("\n"), SLACK_LIMITS.sectionText) } }]
        : []),
    ],
  };
}

/** `2026-03-01 06:00 → 2026-03-02 06:00 UTC`: minutes are enough to tell one slot from the next. */
function formatInterval(interval: { start: string; end: string }): string {
  const short = (iso: string) => iso.slice(0, 16).replace("T", " ");
  return `${short(interval.start)} → ${short(interval.end)} UTC`;
}
