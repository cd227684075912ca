import type { FailureClass } from "./classify-failure";
import type { RunStateChanged } from "../../contracts/run-events";
import { RunState } from "../../contracts/run-states";

/** An incoming-webhook payload: Block Kit blocks with a plain `text` fallback for notifications. */
export interface SlackMessage {
  text: string;
  blocks: object[];
}

// Slack's documented limits: header text 150, section text 3000, field text 2000.
const HEADER_MAX = 150;
const REASON_MAX = 1000;
const LOG_TAIL_MAX = 2500;

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeSlack(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** Shortens to `max` characters, saying so, so a long reason never makes Slack reject the whole message. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 12)}… (truncated)`;
}

/** An owner written as a Slack mention (`<!subteam^ID>`, `<@U123>`) pings; anything else is shown as text. */
function owner(value: string): string {
  return /^<[@!][^<>]+>$/.test(value) ? value : escapeSlack(value);
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
    ["Environment", escapeSlack(alert.environment)],
    ["Flow", escapeSlack(change.flow)],
    ["Owner", owner(alert.owner)],
    ["Run", `\`${escapeSlack(change.runId)}\``],
    ["Attempt", attempt],
    ["Failure", alert.failureClass],
    ["Exit code", change.exitCode === undefined ? "none (the container never reported one)" : String(change.exitCode)],
    ["Stop code", change.stopCode ? escapeSlack(change.stopCode) : undefined],
    ["Duration", alert.duration],
    ["Data interval", alert.dataInterval && formatInterval(alert.dataInterval)],
  ];
  const reason = change.reason ? escapeSlack(truncate(change.reason, REASON_MAX)) : undefined;
  const tail = alert.logTail?.length ? escapeSlack(truncate(alert.logTail.join("\n"), LOG_TAIL_MAX)) : undefined;
  const blocks: object[] = [
    {
      type: "header",
      text: {
        type: "plain_text",
        text: truncate(`${change.flow} ${headline.what} (${alert.environment})`, HEADER_MAX),
      },
    },
    {
      type: "section",
      fields: fields
        .filter((field): field is [string, string] => field[1] !== undefined)
        .map(([label, value]) => ({ type: "mrkdwn", text: `*${label}*\n${value}` })),
    },
    ...(reason ? [{ type: "section", text: { type: "mrkdwn", text: `*Reason*\n\`\`\`${reason}\`\`\`` } }] : []),
    ...(tail ? [{ type: "section", text: { type: "mrkdwn", text: `*Last log lines*\n\`\`\`${tail}\`\`\`` } }] : []),
    ...(alert.logLink
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
  return { text: `${headline.emoji} ${escapeSlack(summary + because)}`, blocks };
}

/** The short note posted when a flow succeeds after its previous run failed. */
export function recoveredMessage(environment: string, change: RunStateChanged, previousRunId: string): SlackMessage {
  const text = `:large_green_circle: ${escapeSlack(change.flow)} recovered in ${escapeSlack(environment)}: run ${escapeSlack(change.runId)} succeeded after ${escapeSlack(previousRunId)} failed`;
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
  const text = `${icon} ${escapeSlack(alarm.AlarmName)} is ${escapeSlack(alarm.NewStateValue)} (${escapeSlack(environment)})`;
  const detail = [alarm.AlarmDescription, alarm.NewStateReason]
    .filter(Boolean)
    .map((line) => escapeSlack(truncate(line!, REASON_MAX)));
  return {
    text,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `*${text}*` } },
      ...(detail.length ? [{ type: "section", text: { type: "mrkdwn", text: detail.join("\n") } }] : []),
    ],
  };
}

/** `2026-03-01 06:00 → 2026-03-02 06:00 UTC`: minutes are enough to tell one slot from the next. */
function formatInterval(interval: { start: string; end: string }): string {
  const short = (iso: string) => iso.slice(0, 16).replace("T", " ");
  return `${short(interval.start)} → ${short(interval.end)} UTC`;
}
