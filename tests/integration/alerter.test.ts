import { failedRunBefore } from "../../lambdas/core/recovery";
import { CloudWatchLogsClient, GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { Logger } from "@aws-lambda-powertools/logger";
import { mockClient } from "aws-sdk-client-mock";
import { defineRegistry } from "../../flows/registry/flow-registry";
import { CloudWatchTaskLogs } from "../../lambdas/adapters/cloudwatch-task-logs";
import { DynamoAlertMarkers } from "../../lambdas/adapters/dynamo-alert-markers";
import { environmentNames } from "../../contracts/resource-names";
import type { DynamoRunStore } from "../../lambdas/adapters/dynamo-run-store";
import { PermanentSlackError, SlackWebhookNotifier } from "../../lambdas/adapters/slack-webhook-notifier";
import { lambdaEntry } from "../../lambdas/aws/lambda-entry";
import type { RunStateChanged } from "../../contracts/run-events";
import { RunState } from "../../contracts/run-states";
import { MalformedAlertInputError } from "../../lambdas/handlers/alerter";
import { composeForTest } from "../support/control-plane";
import { startDynalite } from "../support/dynalite";
import { FIXTURE_TASK_ARN, newRun } from "../support/runs";
import { startSlackServer } from "../support/slack-server";

const registry = defineRegistry([
  { name: "orders-daily", description: "d", owner: "<!subteam^S0DATAENG>", retries: 2 },
  { name: "dbt-nightly", description: "d", owner: "@analytics" },
]);
const failed: RunStateChanged = {
  runId: "orders-daily/20260302T1000Z",
  flow: "orders-daily",
  trigger: "schedule",
  from: RunState.RUNNING,
  to: RunState.FAILED,
  attempt: 1,
  maxAttempts: 1,
  at: "2026-03-02T10:15:42.260Z",
  taskArn: FIXTURE_TASK_ARN,
  exitCode: 1,
  stopCode: "EssentialContainerExited",
  reason: "Essential container in task exited",
};
const asEvent = (detail: RunStateChanged) => ({
  version: "0",
  id: "e-1",
  "detail-type": "Flow Run State Change",
  source: "data-flows",
  account: "111122223333",
  time: detail.at,
  region: "eu-west-1",
  resources: [],
  detail,
});

/** The failure kinds the alerter renders differently: how each kind's run change differs from `failed`. */
const FAILURE_KINDS = {
  "flow error": { exitCode: 1 },
  "configuration (secrets)": {
    exitCode: undefined,
    stopCode: "TaskFailedToStart",
    reason:
      "ResourceInitializationError: unable to pull secrets or registry auth: invalid ssm parameters: /DataFlows/Prod/DBT_CLOUD_TOKEN",
  },
  "configuration (exit 78)": { exitCode: 78 },
  "out of memory": {
    exitCode: 137,
    reason: "Essential container in task exited: OutOfMemoryError: Container killed due to memory usage",
  },
  capacity: {
    exitCode: undefined,
    stopCode: undefined,
    taskArn: undefined,
    reason: "Capacity is unavailable at this time. Please try again later or in a different availability zone",
  },
  "spot interruption": { exitCode: 143, stopCode: "SpotInterruption", reason: "Your Spot Task was interrupted." },
  timeout: {
    to: RunState.TIMED_OUT,
    exitCode: undefined,
    reason: "timed out: still RUNNING after the flow's 60-minute timeout",
  },
  lost: { to: RunState.LOST, exitCode: undefined, reason: "ECS no longer knows the task; its stop was never reported" },
  "late (skipped)": {
    to: RunState.SKIPPED,
    from: null,
    exitCode: undefined,
    stopCode: undefined,
    taskArn: undefined,
    reason: "late: fired 95 minutes after its slot (max lateness 60)",
  },
} as const;
type FailureKind = keyof typeof FAILURE_KINDS;
const ofKind = (kind: FailureKind) => ({ ...failed, ...FAILURE_KINDS[kind] }) as RunStateChanged;

const NO_EXIT_CODE = "none (the container never reported one)";
const TASK_LOG_LINES = ["loading orders", 'ERROR flow failed: relation "ORDERS" does not exist'];

interface Block {
  type: string;
  text?: { type: string; text: string };
  fields?: { type: string; text: string }[];
  elements?: { type: string; text: { type: string; text: string }; url?: string }[];
}

/**
 * What on-call reads in a posted run alert, taken from its Block Kit blocks: the header, the fields section as
 * label → value, the Reason and Last log lines sections without their code fences, and the logs button.
 */
function readAlert(message: { text: string; blocks: object[] }) {
  const blocks = message.blocks as Block[];
  const fields = blocks.find((block) => block.type === "section" && block.fields)?.fields ?? [];
  const fenced = (title: string) => {
    const prefix = `*${title}*\n`;
    const text = blocks.find((block) => block.type === "section" && block.text?.text.startsWith(prefix))?.text!.text;
    return text === undefined ? undefined : /^```([\s\S]*)```$/.exec(text.slice(prefix.length))?.[1];
  };
  return {
    text: message.text,
    header: blocks.find((block) => block.type === "header")?.text?.text,
    fields: Object.fromEntries(fields.map((field) => /^\*(.+?)\*\n([\s\S]*)$/.exec(field.text)!.slice(1, 3))) as Record<
      string,
      string
    >,
    reason: fenced("Reason"),
    logLines: fenced("Last log lines")?.split("\n"),
    logsButton: blocks
      .find((block) => block.type === "actions")
      ?.elements?.find((element) => element.type === "button"),
  };
}

describe("alerter", () => {
  const cloudWatch = mockClient(CloudWatchLogsClient);
  let dynamo: Awaited<ReturnType<typeof startDynalite>>;
  let slack: Awaited<ReturnType<typeof startSlackServer>>;
  let runs: DynamoRunStore;
  let sleeps: number[];
  let handle: (event: unknown) => Promise<{ outcome: string }>;
  let buildHandler: (logger: Logger) => (event: unknown) => Promise<{ outcome: string }>;

  beforeAll(async () => {
    dynamo = await startDynalite();
    slack = await startSlackServer();
  });
  afterAll(async () => {
    await slack.close();
    await dynamo.close();
  });

  beforeEach(async () => {
    cloudWatch.reset();
    cloudWatch.on(GetLogEventsCommand).resolves({
      events: [{ message: "loading orders" }, { message: 'ERROR flow failed: relation "ORDERS" does not exist' }],
    });
    slack.received.length = 0;
    sleeps = [];
    runs = await dynamo.freshRunStore();
    await runs.create(newRun({ maxAttempts: 1 }));
    await runs.transition({
      runId: failed.runId,
      attempt: 1,
      to: RunState.RUNNING,
      at: "2026-03-02T10:12:24.018Z",
      source: "recorder",
      task: { taskArn: FIXTURE_TASK_ARN, version: 3 },
      fields: { startedAt: "2026-03-02T10:12:24.018Z" },
    });
    const notifier = new SlackWebhookNotifier({
      webhookUrl: async () => slack.url,
      maxAttempts: 3,
      maxRetryAfterSeconds: 5,
      sleep: async (ms) => void sleeps.push(ms),
      now: () => new Date(),
    });
    buildHandler = (logger) =>
      composeForTest(
        {
          logger,
          registry,
          runs,
          clock: { now: () => new Date() },
          markers: new DynamoAlertMarkers({
            client: dynamo.client,
            tableName: runs.tableName,
            retentionDays: 30,
            now: () => new Date(),
          }),
          notifier,
          taskLogs: new CloudWatchTaskLogs({
            client: new CloudWatchLogsClient({ region: "eu-west-1" }),
            region: "eu-west-1",
            names: environmentNames("prod", "Prod"),
          }),
        },
        { environment: "prod" },
      ).alerter() as (event: unknown) => Promise<{ outcome: string }>;
    handle = buildHandler(new Logger({ logLevel: "SILENT" }));
  });

  /** Hands the alerter one run change and reads the message it posted. */
  async function alertOf(change: RunStateChanged) {
    await handle(asEvent(change));
    return readAlert(slack.received[0]!);
  }

  describe("a failed run", () => {
    it("posts one message with everything on-call needs", async () => {
      expect(await handle(asEvent(failed))).toEqual({ outcome: "posted" });
      expect(slack.received).toHaveLength(1);
      expect(slack.received[0]).toMatchSnapshot();
    });

    it("heads the message with the flow, what happened and the environment", async () => {
      expect((await alertOf(failed)).header).toBe("orders-daily failed (prod)");
    });

    it("names environment, flow, owner mention, run, attempt, failure class, exit and stop code, data interval", async () => {
      expect((await alertOf(failed)).fields).toEqual({
        Environment: "prod",
        Flow: "orders-daily",
        Owner: "<!subteam^S0DATAENG>",
        Run: "`orders-daily/20260302T1000Z`",
        Attempt: "1 of 1",
        Failure: "flow-error",
        "Exit code": "1",
        "Stop code": "EssentialContainerExited",
        Duration: "3m 18s",
        "Data interval": "2026-03-02 09:00 → 2026-03-02 10:00 UTC",
      });
    });

    it("links straight to the task's log stream in the CloudWatch console", async () => {
      expect((await alertOf(failed)).logsButton).toEqual({
        type: "button",
        text: { type: "plain_text", text: "Open the task's logs" },
        url: "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Fdata-flows$252Fprod$252Fflows$252Forders-daily/log-events/orders-daily$252Fflow$252F5b1e0c7d9a8f4e2b8c6d4f1a2b3c4d5e",
      });
    });

    it("quotes the last lines of the task's log", async () => {
      expect((await alertOf(failed)).logLines).toEqual(TASK_LOG_LINES);
    });

    it("reads those lines from the end of the task's own log stream", async () => {
      await handle(asEvent(failed));
      expect(cloudWatch.commandCalls(GetLogEventsCommand)[0]!.args[0].input).toMatchObject({
        logGroupName: "/data-flows/prod/flows/orders-daily",
        logStreamName: "orders-daily/flow/5b1e0c7d9a8f4e2b8c6d4f1a2b3c4d5e",
        limit: 20,
        startFromHead: false,
      });
    });

    describe("when the attempt will be retried", () => {
      const retrying: RunStateChanged = { ...failed, to: RunState.RETRYING, maxAttempts: 3 };

      it("says a retry is scheduled when the attempt will be retried", async () => {
        await handle(asEvent(retrying));
        expect(slack.received[0]!.text).toContain("attempt 1 of 3, retry scheduled");
      });

      it("shows the attempt as 1 of 3, retry scheduled", async () => {
        expect((await alertOf(retrying)).fields.Attempt).toBe("1 of 3, retry scheduled");
      });

      it("heads the message: attempt failed, not failed", async () => {
        expect((await alertOf(retrying)).header).toBe("orders-daily attempt failed (prod)");
      });
    });

    describe("when the task never started", () => {
      const neverStarted: RunStateChanged = {
        ...failed,
        exitCode: undefined,
        stopCode: "TaskFailedToStart",
        reason:
          "ResourceInitializationError: unable to pull secrets: invalid ssm parameters: /DataFlows/Prod/SNOWFLAKE_USER",
      };

      it("explains it as a configuration failure", async () => {
        expect((await alertOf(neverStarted)).fields.Failure).toBe("configuration");
      });

      it("says the container never reported an exit code", async () => {
        expect((await alertOf(neverStarted)).fields["Exit code"]).toBe(NO_EXIT_CODE);
      });
    });

    it("escapes <, > and & and truncates an oversized reason to fit Slack's limits", async () => {
      await handle(asEvent({ ...failed, reason: `<script> & ${"x".repeat(5000)}` }));
      const reasonBlock = (slack.received[0]!.blocks as { text?: { text: string } }[]).find((block) =>
        block.text?.text.startsWith("*Reason*"),
      );
      expect(reasonBlock!.text!.text).toContain("&lt;script&gt; &amp; ");
      expect(reasonBlock!.text!.text).toContain("… (truncated)");
      expect(reasonBlock!.text!.text.length).toBeLessThan(3000);
    });

    // Slack's Block Kit reference, section block: `fields` holds at most 10 items; Slack refuses the whole message
    // (invalid_blocks) past that.
    it("keeps its fields section within Block Kit's 10 fields when every field is present", async () => {
      const { fields } = await alertOf(failed);
      expect(Object.keys(fields)).toContain("Data interval");
      expect(Object.keys(fields).length).toBeLessThanOrEqual(10);
    });

    it("still alerts, without log lines, when the logs cannot be read", async () => {
      cloudWatch.on(GetLogEventsCommand).rejects(new Error("ResourceNotFoundException"));
      expect(await handle(asEvent(failed))).toEqual({ outcome: "posted" });
    });

    it("leaves the log lines out when the logs cannot be read", async () => {
      cloudWatch.on(GetLogEventsCommand).rejects(new Error("ResourceNotFoundException"));
      expect((await alertOf(failed)).logLines).toBeUndefined();
    });
  });

  describe("the message for each kind of failure", () => {
    // The whole message, as a second check on the field assertions below.
    it.each(Object.keys(FAILURE_KINDS) as FailureKind[])("renders %s", async (kind) => {
      await handle(asEvent(ofKind(kind)));
      expect(slack.received[0]).toMatchSnapshot();
    });

    describe("a flow error", () => {
      it("is classified flow-error", async () => {
        expect((await alertOf(ofKind("flow error"))).fields.Failure).toBe("flow-error");
      });

      it("shows the flow's exit code", async () => {
        expect((await alertOf(ofKind("flow error"))).fields["Exit code"]).toBe("1");
      });
    });

    describe("secrets that could not be pulled", () => {
      it("are classified configuration", async () => {
        expect((await alertOf(ofKind("configuration (secrets)"))).fields.Failure).toBe("configuration");
      });

      it("say the container never reported an exit code", async () => {
        expect((await alertOf(ofKind("configuration (secrets)"))).fields["Exit code"]).toBe(NO_EXIT_CODE);
      });

      it("show the TaskFailedToStart stop code", async () => {
        expect((await alertOf(ofKind("configuration (secrets)"))).fields["Stop code"]).toBe("TaskFailedToStart");
      });

      it("quote the reason, which names the missing parameter", async () => {
        expect((await alertOf(ofKind("configuration (secrets)"))).reason).toBe(
          "ResourceInitializationError: unable to pull secrets or registry auth: invalid ssm parameters: /DataFlows/Prod/DBT_CLOUD_TOKEN",
        );
      });
    });

    describe("a flow exiting 78 (configuration error)", () => {
      it("is classified configuration", async () => {
        expect((await alertOf(ofKind("configuration (exit 78)"))).fields.Failure).toBe("configuration");
      });

      it("shows exit code 78", async () => {
        expect((await alertOf(ofKind("configuration (exit 78)"))).fields["Exit code"]).toBe("78");
      });
    });

    describe("a container out of memory", () => {
      it("is classified out-of-memory", async () => {
        expect((await alertOf(ofKind("out of memory"))).fields.Failure).toBe("out-of-memory");
      });

      it("shows exit code 137", async () => {
        expect((await alertOf(ofKind("out of memory"))).fields["Exit code"]).toBe("137");
      });

      it("quotes the OutOfMemoryError reason", async () => {
        expect((await alertOf(ofKind("out of memory"))).reason).toBe(
          "Essential container in task exited: OutOfMemoryError: Container killed due to memory usage",
        );
      });
    });

    describe("no capacity to start the task", () => {
      it("is classified capacity", async () => {
        expect((await alertOf(ofKind("capacity"))).fields.Failure).toBe("capacity");
      });

      it("says the container never reported an exit code", async () => {
        expect((await alertOf(ofKind("capacity"))).fields["Exit code"]).toBe(NO_EXIT_CODE);
      });

      it("shows no stop code", async () => {
        expect((await alertOf(ofKind("capacity"))).fields).not.toHaveProperty(["Stop code"]);
      });

      it("has no log lines and no logs button, as no task ran", async () => {
        const { logLines, logsButton } = await alertOf(ofKind("capacity"));
        expect({ logLines, logsButton }).toEqual({ logLines: undefined, logsButton: undefined });
      });
    });

    describe("a Spot interruption", () => {
      it("is classified spot-interruption", async () => {
        expect((await alertOf(ofKind("spot interruption"))).fields.Failure).toBe("spot-interruption");
      });

      it("shows the SpotInterruption stop code", async () => {
        expect((await alertOf(ofKind("spot interruption"))).fields["Stop code"]).toBe("SpotInterruption");
      });

      it("shows exit code 143", async () => {
        expect((await alertOf(ofKind("spot interruption"))).fields["Exit code"]).toBe("143");
      });
    });

    describe("a timed-out run", () => {
      it("heads the message: timed out", async () => {
        expect((await alertOf(ofKind("timeout"))).header).toBe("orders-daily timed out (prod)");
      });

      it("is classified timeout", async () => {
        expect((await alertOf(ofKind("timeout"))).fields.Failure).toBe("timeout");
      });

      it("says the container never reported an exit code", async () => {
        expect((await alertOf(ofKind("timeout"))).fields["Exit code"]).toBe(NO_EXIT_CODE);
      });

      it("notifies with the alarm clock and timed out", async () => {
        expect((await alertOf(ofKind("timeout"))).text).toMatch(/^:alarm_clock: orders-daily timed out in prod, /);
      });

      it("still quotes the last log lines", async () => {
        expect((await alertOf(ofKind("timeout"))).logLines).toEqual(TASK_LOG_LINES);
      });
    });

    describe("a lost run", () => {
      it("heads the message: lost", async () => {
        expect((await alertOf(ofKind("lost"))).header).toBe("orders-daily lost (prod)");
      });

      it("is classified lost", async () => {
        expect((await alertOf(ofKind("lost"))).fields.Failure).toBe("lost");
      });

      it("notifies with a question mark and lost", async () => {
        expect((await alertOf(ofKind("lost"))).text).toMatch(/^:grey_question: orders-daily lost in prod, /);
      });
    });

    describe("a late run, skipped", () => {
      it("heads the message: skipped", async () => {
        expect((await alertOf(ofKind("late (skipped)"))).header).toBe("orders-daily skipped (prod)");
      });

      it("names no failure class, as nothing failed", async () => {
        expect((await alertOf(ofKind("late (skipped)"))).fields).not.toHaveProperty("Failure");
      });

      it("quotes how late it fired", async () => {
        expect((await alertOf(ofKind("late (skipped)"))).reason).toBe(
          "late: fired 95 minutes after its slot (max lateness 60)",
        );
      });

      it("has no log lines and no logs button, as no task ran", async () => {
        const { logLines, logsButton } = await alertOf(ofKind("late (skipped)"));
        expect({ logLines, logsButton }).toEqual({ logLines: undefined, logsButton: undefined });
      });

      it("notifies with fast-forward and skipped", async () => {
        expect((await alertOf(ofKind("late (skipped)"))).text).toMatch(
          /^:fast_forward: orders-daily skipped in prod, /,
        );
      });
    });
  });

  describe("exactly one message per failed attempt", () => {
    it("posts nothing for a duplicate event", async () => {
      await handle(asEvent(failed));
      expect(await handle(asEvent(failed))).toEqual({ outcome: "duplicate" });
      expect(slack.received).toHaveLength(1);
    });

    it("posts again for the next attempt", async () => {
      await handle(asEvent({ ...failed, to: RunState.RETRYING, maxAttempts: 3 }));
      await handle(asEvent({ ...failed, attempt: 2, maxAttempts: 3 }));
      expect(slack.received).toHaveLength(2);
    });
  });

  describe("a paused flow's skipped fires", () => {
    const paused = (slot: string, pausedAt: string): RunStateChanged => ({
      runId: `orders-daily/${slot}`,
      flow: "orders-daily",
      trigger: "schedule",
      from: null,
      to: RunState.SKIPPED,
      attempt: 1,
      maxAttempts: 3,
      at: "2026-03-02T10:00:01.000Z",
      reason: `paused by ana at ${pausedAt}: warehouse migration`,
      pausedAt,
    });

    it("tell on-call of the pause once, however many fires it holds", async () => {
      const pausedAt = "2026-03-02T08:00:00.000Z";
      for (const slot of ["20260302T1000Z", "20260302T1015Z", "20260302T1030Z"])
        await handle(asEvent(paused(slot, pausedAt)));
      expect(slack.received).toHaveLength(1);
      expect(slack.received[0]!.text).toContain("orders-daily is paused in prod");
      expect(slack.received[0]!.text).toContain("the only notice for this pause");
    });

    it("tell of a new pause once more", async () => {
      await handle(asEvent(paused("20260302T1000Z", "2026-03-02T08:00:00.000Z")));
      await handle(asEvent(paused("20260303T1000Z", "2026-03-03T08:00:00.000Z")));
      expect(slack.received).toHaveLength(2);
    });
  });

  describe("talking to Slack", () => {
    it("honours Retry-After on 429, then delivers", async () => {
      slack.respond({ status: 429, headers: { "retry-after": "2" }, body: "rate_limited" });
      expect(await handle(asEvent(failed))).toEqual({ outcome: "posted" });
      expect(sleeps).toEqual([2000]);
      expect(slack.received).toHaveLength(2);
    });

    it("retries a 500 with backoff", async () => {
      slack.respond({ status: 500, body: "internal_error" });
      await handle(asEvent(failed));
      expect(sleeps).toHaveLength(1);
      expect(slack.received).toHaveLength(2);
    });

    it("gives up at once on 404, throws so the event is dead-lettered, and lets a redelivery post", async () => {
      slack.respond({ status: 404, body: "no_service" });
      await expect(handle(asEvent(failed))).rejects.toThrow(PermanentSlackError);
      expect(slack.received).toHaveLength(1);
      expect(await handle(asEvent(failed))).toEqual({ outcome: "posted" });
    });

    it("sends the plain text alone when Slack refuses the blocks, so on-call is paged all the same", async () => {
      slack.respond({ status: 400, body: "invalid_blocks" });
      expect(await handle(asEvent(failed))).toEqual({ outcome: "posted" });
      expect(slack.received).toHaveLength(2);
      expect(slack.received[1]).toEqual({ text: slack.received[0]!.text });
    });

    it("throws after the last attempt when Slack keeps failing", async () => {
      slack.respond({ status: 503 }, { status: 503 }, { status: 503 });
      await expect(handle(asEvent(failed))).rejects.toThrow(/did not take the message after 3 attempts/);
    });

    it("never writes the webhook URL to the logs, even when posting fails", async () => {
      const written: string[] = [];
      const capture = (chunk: unknown) => {
        written.push(String(chunk));
        return true;
      };
      const spies = [process.stdout, process.stderr].map((stream) =>
        jest.spyOn(stream, "write").mockImplementation(capture),
      );
      const logger = new Logger({ logLevel: "DEBUG" });
      slack.respond({ status: 410, body: "channel_is_archived" });
      // As deployed: the entry point logs every failed invocation with its event and error.
      const entry = lambdaEntry(
        () => logger,
        () => buildHandler(logger),
      );
      await expect(
        entry(asEvent(failed), {
          invokedFunctionArn: "arn:aws:lambda:eu-west-1:1:function:a",
          getRemainingTimeInMillis: () => 60_000,
        }),
      ).rejects.toThrow(PermanentSlackError);
      spies.forEach((spy) => spy.mockRestore());
      expect(written.join("")).toContain("channel_is_archived");
      expect(written.join("")).not.toContain("XXXXSECRETXXXX");
    });
  });

  describe("recoveries and alarms", () => {
    const succeeded: RunStateChanged = {
      ...failed,
      runId: "orders-daily/20260303T1000Z",
      from: RunState.RUNNING,
      to: RunState.SUCCEEDED,
      exitCode: 0,
      reason: undefined,
      at: "2026-03-03T10:15:00.000Z",
    };

    /** The 10:00 run ended in `state`; the next day's run has just been recorded. */
    async function previousRunEnded(state: RunState) {
      await runs.transition({
        runId: failed.runId,
        attempt: 1,
        to: state,
        at: failed.at,
        source: "recorder",
        task: { taskArn: FIXTURE_TASK_ARN, version: 6 },
      });
      await runs.create(newRun({ runId: succeeded.runId, createdAt: "2026-03-03T10:00:01.000Z" }));
    }

    /** The next day's run, as stored once it succeeded. */
    const successRun = async () => {
      await runs.transition({
        runId: succeeded.runId,
        attempt: 1,
        to: RunState.SUCCEEDED,
        at: succeeded.at,
        source: "recorder",
      });
      return (await runs.get(succeeded.runId))!;
    };

    it.each([RunState.FAILED, RunState.TIMED_OUT, RunState.LOST])(
      "names the run a success recovers from when the flow's previous run ended %s",
      async (state) => {
        await previousRunEnded(state);
        expect(await failedRunBefore(runs, await successRun())).toBe(failed.runId);
      },
    );

    it.each([RunState.SUCCEEDED, RunState.CANCELLED])(
      "names none when the flow's previous run ended %s",
      async (state) => {
        await previousRunEnded(state);
        expect(await failedRunBefore(runs, await successRun())).toBeUndefined();
      },
    );

    it("posts a short recovered message for a success that names the failed run it recovers from", async () => {
      expect(await handle(asEvent({ ...succeeded, recoversFrom: failed.runId }))).toEqual({ outcome: "posted" });
      expect(slack.received[0]!.text).toBe(
        ":large_green_circle: orders-daily recovered in prod: run orders-daily/20260303T1000Z succeeded after orders-daily/20260302T1000Z failed",
      );
    });

    it("stays quiet for a success that recovers from nothing (the stack's rules do not even deliver it)", async () => {
      expect(await handle(asEvent(succeeded))).toEqual({ outcome: "not-alerted" });
      expect(slack.received).toHaveLength(0);
    });

    it("formats a control-plane alarm from SNS", async () => {
      const alarm = {
        AlarmName: "data-flows-prod-recorder-dead-letters",
        AlarmDescription:
          "data-flows-prod-recorder dead-lettered events: inspect and redrive data-flows-prod-recorder-dlq",
        NewStateValue: "ALARM",
        NewStateReason: "Threshold Crossed: 1 datapoint [3.0] was greater than the threshold (0.0).",
      };
      await handle({ Records: [{ EventSource: "aws:sns", Sns: { Message: JSON.stringify(alarm) } }] });
      expect(slack.received[0]!.text).toBe(":rotating_light: data-flows-prod-recorder-dead-letters is ALARM (prod)");
    });

    it("rejects input that is neither a run event nor an alarm", async () => {
      await expect(handle({ hello: "world" })).rejects.toThrow(MalformedAlertInputError);
    });
  });
});
