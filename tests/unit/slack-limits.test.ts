import fc from "fast-check";
import { RunState, TRIGGERS } from "../../contracts/run-states";
import type { RunStateChanged } from "../../contracts/run-events";
import { FailureClass } from "../../lambdas/core/classify-failure";
import {
  alarmMessage,
  fitMrkdwn,
  recoveredMessage,
  runAlertMessage,
  SLACK_LIMITS,
} from "../../lambdas/core/slack-message";

/** Text a log or an error carries: markup Slack escapes, code fences, mentions, emoji, long lines. */
const HOSTILE = [
  "<",
  ">",
  "&",
  "&amp;",
  "`",
  "```",
  "*",
  "_",
  "~",
  "\n",
  "<!channel>",
  "<@U123>",
  "😀",
  "é",
  "a",
  " ",
  "<module>",
];
const hostile = (maxLength: number) =>
  fc
    .array(fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ maxLength: 40 })), { maxLength })
    .map((parts) => parts.join(""));

interface Block {
  type: string;
  text?: { type: string; text: string };
  fields?: { text: string }[];
  elements?: { text: { text: string }; url?: string }[];
}

/** Every Block Kit limit the message must meet, as Slack counts them (https://api.slack.com/reference/block-kit/blocks). */
function limitsBroken(message: { text: string; blocks: object[] }): string[] {
  const broken: string[] = [];
  const blocks = message.blocks as Block[];
  if (blocks.length > SLACK_LIMITS.blocks) broken.push(`${blocks.length} blocks`);
  for (const block of blocks) {
    const text = block.text?.text ?? "";
    if (block.type === "header" && text.length > SLACK_LIMITS.headerText) broken.push(`header of ${text.length}`);
    if (block.type === "section" && text.length > SLACK_LIMITS.sectionText) broken.push(`section of ${text.length}`);
    for (const field of block.fields ?? []) {
      if (field.text.length > SLACK_LIMITS.fieldText) broken.push(`field of ${field.text.length}`);
    }
    if ((block.fields?.length ?? 0) > SLACK_LIMITS.fieldsPerSection) broken.push(`${block.fields!.length} fields`);
    for (const element of block.elements ?? []) {
      if (element.text.text.length > SLACK_LIMITS.buttonText) broken.push(`button text of ${element.text.text.length}`);
      if ((element.url?.length ?? 0) > SLACK_LIMITS.url) broken.push(`url of ${element.url!.length}`);
    }
  }
  const sent = JSON.stringify(message);
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(JSON.parse(sent).text + sent)) {
    broken.push("a lone surrogate");
  }
  return broken;
}

const change = (reason: string, stopCode: string): RunStateChanged => ({
  runId: "orders-daily/20260302T1000Z",
  flow: "orders-daily",
  trigger: TRIGGERS[0]!,
  from: RunState.RUNNING,
  to: RunState.FAILED,
  attempt: 3,
  maxAttempts: 3,
  at: "2026-03-02T10:20:00.000Z",
  exitCode: 1,
  stopCode,
  reason,
});

describe("Slack messages, whatever text they carry", () => {
  it("a run alert stays within every Block Kit limit, escapes included", () => {
    fc.assert(
      fc.property(
        hostile(300),
        fc.array(hostile(20), { maxLength: 80 }),
        hostile(10),
        hostile(8),
        (reason, lines, stopCode, owner) => {
          const message = runAlertMessage({
            environment: "prod",
            change: change(reason, stopCode),
            owner,
            failureClass: FailureClass.flowError,
            retryScheduled: false,
            duration: "4m 12s",
            logLink: "https://eu-west-1.console.aws.amazon.com/cloudwatch/home#logsV2:log-groups",
            logTail: lines,
          });
          expect(limitsBroken(message)).toEqual([]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("a control-plane alarm and a recovery note stay within every limit", () => {
    fc.assert(
      fc.property(hostile(400), hostile(400), (description, reason) => {
        const alarm = alarmMessage("prod", {
          AlarmName: "data-flows-prod-launcher-errors",
          AlarmDescription: description,
          NewStateValue: "ALARM",
          NewStateReason: reason,
        });
        expect(limitsBroken(alarm)).toEqual([]);
        const recovered = recoveredMessage(
          "prod",
          { ...change("", ""), to: RunState.SUCCEEDED },
          "orders-daily/20260301T1000Z",
        );
        expect(limitsBroken(recovered)).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it("keeps the last log lines of a long log, where the error is", () => {
    const lines = [...Array.from({ length: 400 }, (_, i) => `<td>row ${i}</td>`), "Traceback: KeyError 'order_id'"];
    const message = runAlertMessage({
      environment: "prod",
      change: change("exit 1", "EssentialContainerExited"),
      owner: "@data-eng",
      retryScheduled: false,
      logTail: lines,
    });
    const tail = (message.blocks as Block[]).find((block) => block.text?.text.startsWith("*Last log lines*"))!;
    expect(tail.text!.text).toContain("Traceback: KeyError 'order_id'");
    expect(tail.text!.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
  });

  it("never cuts inside an escape it made", () => {
    fc.assert(
      fc.property(
        hostile(200),
        fc.integer({ min: 20, max: 400 }),
        fc.constantFrom("start", "end" as const),
        (raw, max, keep) => {
          const fitted = fitMrkdwn(raw, max, { keep: keep as "start" | "end" });
          expect(fitted.length).toBeLessThanOrEqual(max);
          expect(fitted.replace(/&(amp|lt|gt);/g, "")).not.toMatch(/[&<>]/);
        },
      ),
      { numRuns: 300 },
    );
  });
});
