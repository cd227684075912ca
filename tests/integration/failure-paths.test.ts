import * as z from "zod";
import {
  ClientException,
  DescribeTasksCommand,
  ECSClient,
  InvalidParameterException,
  RunTaskCommand,
  StopTaskCommand,
} from "@aws-sdk/client-ecs";
import { mockClient } from "aws-sdk-client-mock";
import { environmentNames } from "../../contracts/resource-names";
import { defineRegistry } from "../../flows/registry/flow-registry";
import { DynamoAlertMarkers } from "../../lambdas/adapters/dynamo-alert-markers";
import type { DynamoRunStore } from "../../lambdas/adapters/dynamo-run-store";
import { EcsTaskControl } from "../../lambdas/adapters/ecs-task-control";
import { EcsTaskLauncher } from "../../lambdas/adapters/ecs-task-launcher";
import { SlackWebhookNotifier } from "../../lambdas/adapters/slack-webhook-notifier";
import type { ControlPlanePorts } from "../../lambdas/composition-root";
import { classifyFailure, FailureClass } from "../../lambdas/core/classify-failure";
import type { LaunchCommand } from "../../contracts/launch-commands";
import type { RunEventPublisher, TaskControl } from "../../lambdas/core/ports";
import type { RunStateChanged } from "../../contracts/run-events";
import type { ReapReport } from "../../lambdas/core/reap-runs";
import { RunState } from "../../contracts/run-states";
import { composeForTest, TEST_SETTINGS } from "../support/control-plane";
import { startDynalite } from "../support/dynalite";
import { ecsEvent, FIXTURE_CLUSTER_ARN } from "../support/fixtures";
import { RecordingPublisher, RecordingRetries } from "../support/recording-publisher";
import { startSlackServer } from "../support/slack-server";
import { ordersDaily, testFlow } from "../support/flows";

/**
 * The failure paths a reliability review found outside what the property test explores: each `describe` is one
 * reported bug, reproduced, and the behaviour it must have instead.
 */
const TASK_ARN = "arn:aws:ecs:eu-west-1:111122223333:task/data-flows-dev/5b1e0c7d9a8f4e2b8c6d4f1a2b3c4d5e";
const registry = defineRegistry([
  ordersDaily({
    schedule: undefined,
    retries: 1,
    overlap: "allow",
    timeoutMinutes: 30,
    params: { payload: z.string().optional(), day: z.string().optional(), a: z.string().optional() },
  }),
  testFlow("exclusive", { overlap: "skip", retries: 0, timeoutMinutes: 30 }),
  testFlow("no-retries", { overlap: "allow", retries: 0 }),
]);
const slot = (flow: string, hhmm: string): LaunchCommand => ({
  kind: "schedule",
  flow,
  scheduledTime: `2026-03-02T${hhmm}:00Z`,
});

describe("failure paths", () => {
  const ecs = mockClient(ECSClient);
  let dynamo: Awaited<ReturnType<typeof startDynalite>>;
  let runs: DynamoRunStore;
  let events: RecordingPublisher;
  let now: Date;
  const clock = { now: () => now };
  const at = (iso: string) => (now = new Date(iso));

  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(() => dynamo.close());
  beforeEach(async () => {
    ecs.reset();
    runs = await dynamo.freshRunStore();
    events = new RecordingPublisher();
    at("2026-03-02T10:00:05Z");
  });

  const tasks = () =>
    new EcsTaskLauncher({
      client: new ECSClient({ region: "eu-west-1" }),
      clusterArn: FIXTURE_CLUSTER_ARN,
      subnetIds: ["subnet-1"],
      securityGroupIds: ["sg-1"],
      names: environmentNames("dev", "Dev"),
    });
  const plane = (ports: Partial<ControlPlanePorts> = {}) =>
    composeForTest({
      registry,
      runs,
      events,
      clock,
      tasks: tasks(),
      taskControl: new EcsTaskControl({
        client: new ECSClient({ region: "eu-west-1" }),
        clusterArn: FIXTURE_CLUSTER_ARN,
      }),
      retries: new RecordingRetries(),
      launches: { send: async () => undefined },
      nonces: { nonce: () => "aaaaaaaaaa" },
      ...ports,
    });
  const reap = async (control = plane()) => (await control.reaper()(undefined)) as ReapReport;
  const inFuture = { deadline: new Date("2999-01-01T00:00:00Z") };
  /** A manual run of orders-daily, RUNNING since 09:01 with `taskArn`, due by `deadline`. */
  const runningSince0901 = async (runId: string, taskArn: string, deadline = "2026-03-02T09:30:00.000Z") => {
    await runs.create({
      runId,
      flow: "orders-daily",
      trigger: "manual",
      params: {},
      dataInterval: { start: "2026-03-02T09:00:00.000Z", end: "2026-03-02T10:00:00.000Z" },
      state: RunState.PENDING,
      attempt: 1,
      maxAttempts: 2,
      flowRetries: 1,
      createdAt: "2026-03-02T09:00:00.000Z",
      deadline,
    });
    await runs.transition({
      runId,
      attempt: 1,
      to: RunState.RUNNING,
      at: "2026-03-02T09:01:00.000Z",
      source: "recorder",
      task: { taskArn, version: 3 },
    });
  };

  describe("a RunTask error that no retry will fix (an inactive task definition, a refused request)", () => {
    beforeEach(() => {
      ecs
        .on(RunTaskCommand)
        .rejects(new ClientException({ message: "TaskDefinition is inactive", $metadata: { httpStatusCode: 400 } }));
    });

    it("ends the run FAILED with ECS's answer, classified as configuration, instead of leaving it PENDING", async () => {
      await plane().launcher()(slot("orders-daily", "10:00"));
      const run = await runs.get("orders-daily/20260302T1000Z");
      expect(run).toMatchObject({
        state: RunState.FAILED,
        reason: expect.stringContaining("TaskDefinition is inactive"),
      });
      expect(classifyFailure({ reason: run!.reason! })).toBe(FailureClass.configuration);
    });

    it("releases a skip flow's lock, so its next fire launches", async () => {
      await plane().launcher()(slot("exclusive", "10:00"));
      ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN }] });
      at("2026-03-02T10:05:05Z");
      expect(await plane().launcher()(slot("exclusive", "10:05"))).toMatchObject({ status: "launched" });
    });
  });

  describe("a launch that keeps failing transiently (RunTask throttled on every try)", () => {
    beforeEach(() => {
      ecs.on(RunTaskCommand).rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }));
    });

    it("ends FAILED with the RunTask error at its launch deadline, rather than being re-driven forever", async () => {
      await expect(plane().launcher()(slot("exclusive", "10:00"))).rejects.toThrow("Rate exceeded");
      at("2026-03-02T10:05:00Z");
      expect((await reap()).redriven).toEqual(["exclusive/20260302T1000Z"]); // and the re-drive fails again
      at("2026-03-02T11:00:00Z");
      const report = await reap();
      expect(report.expired).toEqual(["exclusive/20260302T1000Z"]);
      expect(await runs.get("exclusive/20260302T1000Z")).toMatchObject({
        state: RunState.FAILED,
        reason: expect.stringContaining("Rate exceeded"),
      });
      expect(await runs.lockHolder("exclusive")).toBeUndefined();
    });
  });

  describe("launch requests ECS would refuse", () => {
    it("are refused before any run is recorded, naming ECS's 8,192-character overrides limit", async () => {
      const request = { kind: "manual", flow: "orders-daily", params: { payload: "x".repeat(9000) } };
      await expect(plane().launcher()(request)).rejects.toThrow(/8,192/);
      expect(await runs.listByFlow("orders-daily", { limit: 5 })).toEqual([]);
    });

    it("are refused when a param value holds a NUL byte (no environment can carry it)", async () => {
      await expect(
        plane().launcher()({ kind: "manual", flow: "orders-daily", params: { a: "x\u0000y" } }),
      ).rejects.toThrow(/params\.a/);
    });

    it("are refused when a param is named __proto__, instead of the param being dropped", async () => {
      const request = JSON.parse('{"kind":"manual","flow":"orders-daily","params":{"__proto__":"x"}}');
      await expect(plane().launcher()(request)).rejects.toThrow(/__proto__/);
    });
  });

  describe("two manual requests whose generated ids collide", () => {
    it("gives the second its own run and keeps its params, instead of merging it into the first", async () => {
      ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN }] });
      const nonces = ["sameseed01", "sameseed01", "otherseed2"];
      const control = plane({ nonces: { nonce: () => nonces.shift()! } });
      const first = (await control.launcher()({ kind: "manual", flow: "orders-daily", params: { day: "1" } })) as {
        runId: string;
      };
      const second = (await control.launcher()({ kind: "manual", flow: "orders-daily", params: { day: "2" } })) as {
        runId: string;
      };
      expect(second.runId).not.toBe(first.runId);
      expect((await runs.get(second.runId))?.params).toMatchObject({ day: "2" });
    });
  });

  describe("one failing run in a reaper pass", () => {
    it("does not stop the pass: a task ECS forgot counts as stopped, and the other runs are still reaped", async () => {
      await runningSince0901("orders-daily/m1", `${TASK_ARN}1`);
      await runningSince0901("orders-daily/m2", `${TASK_ARN}2`);
      ecs
        .on(StopTaskCommand, { task: `${TASK_ARN}1` })
        .rejects(new InvalidParameterException({ message: "The referenced task was not found.", $metadata: {} }))
        .on(StopTaskCommand, { task: `${TASK_ARN}2` })
        .resolves({});
      const report = await reap();
      expect(report.timedOut.sort()).toEqual(["orders-daily/m1", "orders-daily/m2"]);
      expect(report.failed).toEqual([]);
    });

    it("reports a run it could not handle and carries on with the rest", async () => {
      await runningSince0901("orders-daily/m1", `${TASK_ARN}1`);
      await runningSince0901("orders-daily/m2", `${TASK_ARN}2`);
      ecs
        .on(StopTaskCommand, { task: `${TASK_ARN}1` })
        .rejects(new Error("socket hang up"))
        .on(StopTaskCommand, { task: `${TASK_ARN}2` })
        .resolves({});
      const report = await reap();
      expect(report.failed).toEqual([{ runId: "orders-daily/m1", error: expect.stringContaining("socket hang up") }]);
      expect(report.timedOut).toContain("orders-daily/m2");
    });

    it("pages through every active run, more than one page holds", async () => {
      ecs.on(StopTaskCommand).resolves({});
      for (let index = 0; index < 120; index += 1)
        await runningSince0901(`orders-daily/m${index}`, `${TASK_ARN}${index}`);
      expect((await reap()).timedOut).toHaveLength(120);
    });

    it("stops before its time budget runs out, and says so", async () => {
      await runningSince0901("orders-daily/m1", `${TASK_ARN}1`);
      const report = (await plane().reaper()(undefined, { deadline: new Date(now.getTime() + 1000) })) as ReapReport;
      expect(report).toMatchObject({ incomplete: true, timedOut: [] });
    });
  });

  describe("a timeout racing ECS's own stop event", () => {
    it("ends TIMED_OUT (which pages) even when the UserInitiated STOPPED event is recorded first", async () => {
      await runs.create({
        runId: "orders-daily/20260302T0900Z",
        flow: "orders-daily",
        trigger: "schedule",
        scheduledFor: "2026-03-02T09:00:00.000Z",
        params: {},
        dataInterval: { start: "2026-03-01T09:00:00.000Z", end: "2026-03-02T09:00:00.000Z" },
        state: RunState.PENDING,
        attempt: 1,
        maxAttempts: 1,
        flowRetries: 0,
        createdAt: "2026-03-02T09:00:00.000Z",
        deadline: "2026-03-02T09:30:00.000Z",
      });
      const recorder = plane().recorder();
      const running = ecsEvent("task-running");
      running.detail.overrides.containerOverrides[0].environment[0].value = "orders-daily/20260302T0900Z";
      await recorder(running);
      // ECS answers StopTask only after it has published the task's STOPPED (UserInitiated) event.
      const stopped = ecsEvent("task-stopped-exit-1");
      stopped.detail.overrides.containerOverrides[0].environment[0].value = "orders-daily/20260302T0900Z";
      stopped.detail.stopCode = "UserInitiated";
      stopped.detail.containers[0].exitCode = 143;
      const racingControl: TaskControl = {
        stopTask: async () => void (await recorder(stopped)),
        describeTasks: async () => new Map(),
        listRunning: async () => [],
      };
      await reap(plane({ taskControl: racingControl }));
      expect((await runs.get("orders-daily/20260302T0900Z"))?.state).toBe(RunState.TIMED_OUT);
    });
  });

  describe("an ending whose announcement failed", () => {
    const failingOnce = (): RunEventPublisher & { published: RunStateChanged[] } => {
      let failed = false;
      const published: RunStateChanged[] = [];
      return {
        published,
        async publish(change) {
          if (!failed && change.to !== RunState.PENDING && change.to !== RunState.RUNNING) {
            failed = true;
            throw new Error("PutEvents: InternalFailure");
          }
          published.push(change);
        },
      };
    };

    it("is announced when the platform retries the launcher (a late fire recorded SKIPPED)", async () => {
      const publisher = failingOnce();
      at("2026-03-02T12:00:00Z"); // two hours late: past the flow's 60-minute max lateness
      await expect(plane({ events: publisher }).launcher()(slot("orders-daily", "10:00"))).rejects.toThrow("PutEvents");
      await plane({ events: publisher }).launcher()(slot("orders-daily", "10:00"));
      expect(publisher.published.map((change) => change.to)).toEqual([RunState.SKIPPED]);
    });

    it("is announced on the reaper's next pass (a timeout)", async () => {
      ecs.on(StopTaskCommand).resolves({});
      ecs.on(DescribeTasksCommand).resolves({ tasks: [] });
      await runningSince0901("orders-daily/m1", TASK_ARN);
      const publisher = failingOnce();
      await reap(plane({ events: publisher }));
      await reap(plane({ events: publisher }));
      expect(publisher.published.map((change) => change.to)).toEqual([RunState.TIMED_OUT]);
    });

    it("is announced on the reaper's next pass (a stop the reaper learned from ECS, its event lost)", async () => {
      ecs.on(DescribeTasksCommand).resolves({
        tasks: [
          {
            taskArn: TASK_ARN,
            lastStatus: "STOPPED",
            stopCode: "EssentialContainerExited",
            containers: [{ name: "flow", exitCode: 0 }],
            overrides: {
              containerOverrides: [
                {
                  name: "flow",
                  environment: [
                    { name: "DATA_FLOWS_RUN_ID", value: "orders-daily/m2" },
                    { name: "DATA_FLOWS_ATTEMPT", value: "1" },
                  ],
                },
              ],
            },
          },
        ],
      });
      await runningSince0901("orders-daily/m2", TASK_ARN, "2026-03-02T10:30:00.000Z");
      const publisher = failingOnce();
      expect((await reap(plane({ events: publisher }))).failed).toHaveLength(1);
      await reap(plane({ events: publisher }));
      expect(publisher.published.map((change) => change.to)).toEqual([RunState.SUCCEEDED]);
    });
  });

  describe("an alert interrupted mid-post", () => {
    let slack: Awaited<ReturnType<typeof startSlackServer>>;
    beforeAll(async () => {
      slack = await startSlackServer();
    });
    afterAll(() => slack.close());
    beforeEach(() => {
      slack.received.length = 0;
    });

    const failed: RunStateChanged = {
      runId: "orders-daily/m1",
      flow: "orders-daily",
      trigger: "manual",
      from: RunState.RUNNING,
      to: RunState.FAILED,
      attempt: 2,
      maxAttempts: 2,
      at: "2026-03-02T10:15:00.000Z",
      exitCode: 1,
    };
    const envelope = { source: "data-flows", "detail-type": "Flow Run State Change", detail: failed };
    const alerter = () =>
      composeForTest(
        {
          registry,
          runs,
          clock,
          markers: new DynamoAlertMarkers({
            client: dynamo.client,
            tableName: runs.tableName,
            retentionDays: 30,
            now: clock.now,
          }),
          notifier: new SlackWebhookNotifier({
            webhookUrl: async () => slack.url,
            maxAttempts: 3,
            maxRetryAfterSeconds: 60,
            sleep: async (ms) => void (now = new Date(now.getTime() + ms)),
            now: clock.now,
          }),
          taskLogs: { link: () => "", tail: async () => [] },
        },
        { environment: TEST_SETTINGS.environment },
      ).alerter();

    it("is posted by the platform's retry after the first invocation was killed holding the claim", async () => {
      // The first invocation claimed the alert, then Lambda killed it at its timeout (nothing released the claim).
      const markers = new DynamoAlertMarkers({
        client: dynamo.client,
        tableName: runs.tableName,
        retentionDays: 30,
        now: clock.now,
      });
      await markers.claim("orders-daily/m1", "2#FAILED", { until: new Date(now.getTime() + 60_000) });
      at("2026-03-02T10:02:00Z"); // the retry, after the first invocation's deadline
      await alerter()(envelope, inFuture);
      expect(slack.received).toHaveLength(1);
    });

    it("gives up at once when Slack's Retry-After outlasts the invocation, leaving the alert to the retry", async () => {
      slack.respond({ status: 429, headers: { "retry-after": "40" } });
      await expect(alerter()(envelope, { deadline: new Date(now.getTime() + 30_000) })).rejects.toThrow(
        /Retry-After|deadline/,
      );
      await alerter()(envelope, inFuture);
      expect(slack.received).toHaveLength(2); // the refused post, then the one that went through
    });

    it("is not posted again when Slack took the post but its answer was lost", async () => {
      slack.respond({ status: 200, loseResponse: true });
      await alerter()(envelope, inFuture).catch(() => undefined);
      await alerter()(envelope, inFuture).catch(() => undefined);
      expect(slack.received).toHaveLength(1);
    });
  });

  describe("the attempt budget", () => {
    it("gives a flow with no retries no second try at its own failure, even after a capacity retry", async () => {
      ecs
        .on(RunTaskCommand)
        .resolvesOnce({ tasks: [], failures: [{ reason: "Capacity is unavailable at this time." }] })
        .resolves({ tasks: [{ taskArn: TASK_ARN }] });
      const retries = new RecordingRetries();
      const control = plane({ retries });
      await control.launcher()(slot("no-retries", "10:00"));
      await control.launcher()({ kind: "retry", flow: "no-retries", runId: "no-retries/20260302T1000Z", attempt: 2 });
      const stopped = ecsEvent("task-stopped-exit-1");
      stopped.detail.overrides.containerOverrides[0].environment[0].value = "no-retries/20260302T1000Z";
      stopped.detail.overrides.containerOverrides[0].environment[1].value = "2";
      await control.recorder()(stopped);
      expect(await runs.get("no-retries/20260302T1000Z")).toMatchObject({ state: RunState.FAILED, attempt: 2 });
      expect(retries.scheduled).toHaveLength(1); // the capacity retry only
    });
  });

  describe("a skip flow's lock held by a run its launcher has not recorded yet", () => {
    it("is not taken over: the second fire is SKIPPED, not run alongside", async () => {
      ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN }] });
      // The launcher of the 10:05 slot has just taken the lock and is about to record its run.
      await runs.acquireLock("exclusive", "exclusive/20260302T1005Z", "2026-03-02T10:05:04.000Z");
      at("2026-03-02T10:06:05Z");
      expect(await plane().launcher()(slot("exclusive", "10:06"))).toMatchObject({ status: "skipped" });
    });

    it("is taken over once it is older than any launcher could take to record its run", async () => {
      ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN }] });
      await runs.acquireLock("exclusive", "exclusive/20260302T0900Z", "2026-03-02T09:00:04.000Z");
      at("2026-03-02T10:05:05Z");
      expect(await plane().launcher()(slot("exclusive", "10:05"))).toMatchObject({ status: "launched" });
    });
  });
});
