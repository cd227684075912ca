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
import type { RunStateChanged } from "../../lambdas/core/ports";
import { RunState } from "../../lambdas/core/run-state";
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
    });
    buildHandler = (logger) =>
      composeForTest(
        {
          logger,
          registry,
          runs,
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

  describe("a failed run", () => {
    it("posts one message with everything on-call needs", async () => {
      expect(await handle(asEvent(failed))).toEqual({ outcome: "posted" });
      expect(slack.received).toHaveLength(1);
      expect(slack.received[0]).toMatchSnapshot();
    });

    it("names environment, flow, owner mention, run, attempt, failure class, exit and stop code", async () => {
      await handle(asEvent(failed));
      const fields = JSON.stringify(slack.received[0]!.blocks);
      for (const expected of [
        "*Environment*\\nprod",
        "*Flow*\\norders-daily",
        "*Owner*\\n<!subteam^S0DATAENG>",
        "*Run*\\n`orders-daily/20260302T1000Z`",
        "*Attempt*\\n1 of 1",
        "*Failure*\\nflow-error",
        "*Exit code*\\n1",
        "*Stop code*\\nEssentialContainerExited",
        "*Duration*\\n3m 18s",
      ]) {
        expect(fields).toContain(expected);
      }
    });

    it("links straight to the task's log stream and quotes its last lines", async () => {
      await handle(asEvent(failed));
      const blocks = JSON.stringify(slack.received[0]!.blocks);
      expect(blocks).toContain(
        "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Fdata-flows$252Fprod$252Fflows$252Forders-daily/log-events/orders-daily$252Fflow$252F5b1e0c7d9a8f4e2b8c6d4f1a2b3c4d5e",
      );
      expect(blocks).toContain('relation \\"ORDERS\\" does not exist');
      expect(cloudWatch.commandCalls(GetLogEventsCommand)[0]!.args[0].input).toMatchObject({
        logGroupName: "/data-flows/prod/flows/orders-daily",
        logStreamName: "orders-daily/flow/5b1e0c7d9a8f4e2b8c6d4f1a2b3c4d5e",
        limit: 20,
        startFromHead: false,
      });
    });

    it("says a retry is scheduled when the attempt will be retried", async () => {
      await handle(asEvent({ ...failed, to: RunState.RETRYING, maxAttempts: 3 }));
      expect(slack.received[0]!.text).toContain("attempt 1 of 3, retry scheduled");
    });

    it("explains a task that never started, with no exit code", async () => {
      await handle(
        asEvent({
          ...failed,
          exitCode: undefined,
          stopCode: "TaskFailedToStart",
          reason:
            "ResourceInitializationError: unable to pull secrets: invalid ssm parameters: /DataFlows/Prod/SNOWFLAKE_USER",
        }),
      );
      const blocks = JSON.stringify(slack.received[0]!.blocks);
      expect(blocks).toContain("*Failure*\\nconfiguration");
      expect(blocks).toContain("none (the container never reported one)");
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

    it("still alerts, without log lines, when the logs cannot be read", async () => {
      cloudWatch.on(GetLogEventsCommand).rejects(new Error("ResourceNotFoundException"));
      expect(await handle(asEvent(failed))).toEqual({ outcome: "posted" });
    });
  });

  describe("the message for each kind of failure", () => {
    it.each([
      ["flow error", { exitCode: 1 }],
      [
        "configuration (secrets)",
        {
          exitCode: undefined,
          stopCode: "TaskFailedToStart",
          reason:
            "ResourceInitializationError: unable to pull secrets or registry auth: invalid ssm parameters: /DataFlows/Prod/DBT_CLOUD_TOKEN",
        },
      ],
      ["configuration (exit 78)", { exitCode: 78 }],
      [
        "out of memory",
        {
          exitCode: 137,
          reason: "Essential container in task exited: OutOfMemoryError: Container killed due to memory usage",
        },
      ],
      [
        "capacity",
        {
          exitCode: undefined,
          stopCode: undefined,
          taskArn: undefined,
          reason: "Capacity is unavailable at this time. Please try again later or in a different availability zone",
        },
      ],
      ["spot interruption", { exitCode: 143, stopCode: "SpotInterruption", reason: "Your Spot Task was interrupted." }],
      [
        "timeout",
        {
          to: RunState.TIMED_OUT,
          exitCode: undefined,
          reason: "timed out: still RUNNING after the flow's 60-minute timeout",
        },
      ],
      [
        "lost",
        { to: RunState.LOST, exitCode: undefined, reason: "ECS no longer knows the task; its stop was never reported" },
      ],
      [
        "late (skipped)",
        {
          to: RunState.SKIPPED,
          from: null,
          exitCode: undefined,
          stopCode: undefined,
          taskArn: undefined,
          reason: "late: fired 95 minutes after its slot (max lateness 60)",
        },
      ],
    ] as const)("renders %s", async (_, overrides) => {
      await handle(asEvent({ ...failed, ...overrides } as RunStateChanged));
      expect(slack.received[0]).toMatchSnapshot();
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
        entry(asEvent(failed), { invokedFunctionArn: "arn:aws:lambda:eu-west-1:1:function:a" }),
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

    it("posts a short recovered message when a flow succeeds after a failed run", async () => {
      await previousRunEnded(RunState.FAILED);
      expect(await handle(asEvent(succeeded))).toEqual({ outcome: "posted" });
      expect(slack.received[0]!.text).toBe(
        ":large_green_circle: orders-daily recovered in prod: run orders-daily/20260303T1000Z succeeded after orders-daily/20260302T1000Z failed",
      );
    });

    it("stays quiet when a flow succeeds after a success", async () => {
      await previousRunEnded(RunState.SUCCEEDED);
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
