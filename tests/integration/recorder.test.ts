import { ECSClient, StopTaskCommand } from "@aws-sdk/client-ecs";
import { mockClient } from "aws-sdk-client-mock";
import type { DynamoRunStore } from "../../lambdas/adapters/dynamo-run-store";
import { EcsTaskControl } from "../../lambdas/adapters/ecs-task-control";
import { RunState } from "../../contracts/run-states";
import { MalformedEventError } from "../../lambdas/handlers/ecs-task-event";
import { composeForTest } from "../support/control-plane";
import { startDynalite } from "../support/dynalite";
import type { EcsFixture } from "../support/fixtures";
import { ecsEvent, FIXTURE_CLUSTER_ARN } from "../support/fixtures";
import { fixedClock, RecordingPublisher, RecordingRetries } from "../support/recording-publisher";
import { newRun } from "../support/runs";

describe("recorder", () => {
  const ecs = mockClient(ECSClient);
  let dynamo: Awaited<ReturnType<typeof startDynalite>>;
  let runs: DynamoRunStore;
  let events: RecordingPublisher;
  let retries: RecordingRetries;
  let record: (event: unknown) => Promise<{ status: string; reason?: string }>;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(() => dynamo.close());

  beforeEach(async () => {
    runs = await dynamo.freshRunStore();
    events = new RecordingPublisher();
    retries = new RecordingRetries();
    ecs.reset();
    ecs.on(StopTaskCommand).resolves({});
    const taskControl = new EcsTaskControl({
      client: new ECSClient({ region: "eu-west-1" }),
      clusterArn: FIXTURE_CLUSTER_ARN,
    });
    record = composeForTest(
      { runs, events, retries, taskControl, clock: fixedClock("2026-03-02T10:20:00Z") },
      { clusterArn: FIXTURE_CLUSTER_ARN },
    ).recorder() as typeof record;
    await runs.create(newRun());
  });

  const deliver = async (...names: EcsFixture[]) => {
    const outcomes = [];
    for (const name of names) outcomes.push(await record(ecsEvent(name)));
    return outcomes;
  };
  const current = () => runs.get("orders-daily/20260302T1000Z");

  it("follows a task from PROVISIONING to a successful stop", async () => {
    await deliver("task-provisioning", "task-running", "task-stopped-exit-0");
    expect(await current()).toMatchObject({
      state: RunState.SUCCEEDED,
      exitCode: 0,
      stopCode: "EssentialContainerExited",
      startedAt: "2026-03-02T10:12:24.018Z",
      endedAt: "2026-03-02T10:15:42.260Z",
    });
    expect(events.transitions).toEqual(["PENDING->STARTING", "STARTING->RUNNING", "RUNNING->SUCCEEDED"]);
  });

  it("never ends a RETRYING run on an event of the attempt that is over (a stray task's stop, found by the property)", async () => {
    // The launcher met no capacity for attempt 1 and scheduled a retry; a racing launch's task, stopped as a stray,
    // then reports its UserInitiated stop for attempt 1.
    await runs.transition({
      runId: "orders-daily/20260302T1000Z",
      attempt: 1,
      to: RunState.RETRYING,
      at: "2026-03-02T10:12:01.000Z",
      source: "launcher",
      fields: { reason: "Capacity is unavailable at this time", retryAt: "2026-03-02T10:13:01.000Z", maxAttempts: 2 },
    });
    const stray = ecsEvent("task-stopped-exit-1");
    stray.detail.stopCode = "UserInitiated";
    stray.detail.containers[0].exitCode = 143;
    expect(await record(stray)).toMatchObject({ status: "ignored", reason: "attempt-over" });
    expect((await current())!.state).toBe(RunState.RETRYING);
  });

  it("records a failed flow with its exit code", async () => {
    await deliver("task-provisioning", "task-running", "task-stopped-exit-1");
    expect(await current()).toMatchObject({ state: RunState.FAILED, exitCode: 1 });
  });

  it("announces the change again on a duplicate delivery, so a lost announcement is recovered", async () => {
    await deliver("task-running", "task-running");
    expect(events.transitions).toEqual(["PENDING->RUNNING", "PENDING->RUNNING"]);
  });

  it("announces the ending again when the STOPPED event is redelivered", async () => {
    await deliver("task-stopped-exit-1", "task-stopped-exit-1");
    expect(events.transitions).toEqual(["PENDING->FAILED", "PENDING->FAILED"]);
  });

  it("announces nothing for a stale event", async () => {
    await deliver("task-stopped-exit-0", "task-running");
    expect(events.transitions).toEqual(["PENDING->SUCCEEDED"]);
  });

  it("changes nothing on a duplicate delivery", async () => {
    const outcomes = await deliver("task-running", "task-running");
    expect(outcomes[1]).toMatchObject({ status: "ignored", reason: "duplicate" });
    expect((await current())?.history).toHaveLength(2);
  });

  it("accepts STOPPED before RUNNING and ignores the RUNNING that follows", async () => {
    const outcomes = await deliver("task-stopped-exit-0", "task-running", "task-provisioning");
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["applied", "ignored", "ignored"]);
    expect((await current())?.state).toBe(RunState.SUCCEEDED);
  });

  it("leaves the run's own task alone when its RUNNING comes after its ending", async () => {
    await deliver("task-stopped-exit-0", "task-running");
    expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
  });

  describe("a task the run has no place for (a stray of two launches of one attempt racing)", () => {
    beforeEach(async () => {
      // Attempt 1 failed for capacity in one launch while another launch's RunTask started the fixture's task.
      await runs.transition({
        runId: "orders-daily/20260302T1000Z",
        attempt: 1,
        to: RunState.RETRYING,
        at: "2026-03-02T10:11:00Z",
        source: "launcher",
        fields: { reason: "Capacity is unavailable at this time" },
      });
    });

    it("is stopped when it reports RUNNING, naming the run and attempt", async () => {
      expect(await record(ecsEvent("task-running"))).toMatchObject({ status: "ignored", reason: "stray-task-stopped" });
      expect(ecs.commandCalls(StopTaskCommand).map((call) => call.args[0].input)).toEqual([
        {
          cluster: FIXTURE_CLUSTER_ARN,
          task: ecsEvent("task-running").detail.taskArn,
          reason: expect.stringMatching(/^data-flows: stray task of orders-daily\/20260302T1000Z attempt 1/),
        },
      ]);
    });

    it("does not move the run", async () => {
      await record(ecsEvent("task-running"));
      expect(await current()).toMatchObject({ state: RunState.RETRYING, attempt: 1 });
    });

    it("is not stopped again once it has stopped", async () => {
      await record(ecsEvent("task-stopped-exit-0"));
      expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
    });
  });

  it("fails a run whose task could not pull its secrets, naming the parameter", async () => {
    await runs.create(newRun({ runId: "orders-daily/20260302T1100Z" }));
    await deliver("task-stopped-secrets-pull-failed");
    const run = await runs.get("orders-daily/20260302T1100Z");
    expect(run?.state).toBe(RunState.FAILED);
    expect(run?.reason).toContain("invalid ssm parameters: /DataFlows/Dev/SNOWFLAKE_PRIVATE_KEY");
  });

  it("ignores events from another cluster", async () => {
    const event = ecsEvent("task-running");
    event.detail.clusterArn = "arn:aws:ecs:eu-west-1:111122223333:cluster/someone-else";
    expect(await record(event)).toMatchObject({ status: "ignored", reason: "other-cluster" });
    expect((await current())?.state).toBe(RunState.PENDING);
  });

  it("ignores tasks that carry no run id", async () => {
    const event = ecsEvent("task-running");
    delete event.detail.overrides;
    expect(await record(event)).toMatchObject({ status: "ignored", reason: "not-a-run" });
  });

  it("ignores events for runs it does not know, creating nothing", async () => {
    const event = ecsEvent("task-running");
    event.detail.overrides.containerOverrides[0].environment[0].value = "orders-daily/19990101T0000Z";
    expect(await record(event)).toMatchObject({ status: "ignored", reason: "unknown-run" });
    expect(await runs.get("orders-daily/19990101T0000Z")).toBeUndefined();
  });

  it("rejects a malformed event with an error, so the platform retries and dead-letters it", async () => {
    await expect(record({ "detail-type": "ECS Task State Change", source: "aws.ecs", detail: {} })).rejects.toThrow(
      MalformedEventError,
    );
  });

  it("does not crash on an unknown stopCode, empty containers or extra fields", async () => {
    const event = ecsEvent("task-stopped-exit-1");
    event.detail.stopCode = "SomethingNew";
    event.detail.containers = [];
    event.detail.brandNewField = { nested: true };
    expect(await record(event)).toMatchObject({ status: "applied" });
    expect((await current())?.state).toBe(RunState.FAILED);
  });

  describe("retries", () => {
    beforeEach(async () => {
      await runs.create(newRun({ runId: "orders-daily/20260302T1000Z-r", maxAttempts: 3, flowRetries: 2 }));
    });
    const forRetriedRun = (name: EcsFixture) => {
      const event = ecsEvent(name);
      event.detail.overrides.containerOverrides[0].environment[0].value = "orders-daily/20260302T1000Z-r";
      return event;
    };

    it("moves a failed attempt with attempts left to RETRYING and schedules the next attempt after the backoff", async () => {
      await record(forRetriedRun("task-stopped-exit-1"));
      expect(await runs.get("orders-daily/20260302T1000Z-r")).toMatchObject({
        state: RunState.RETRYING,
        exitCode: 1,
        retryAt: "2026-03-02T10:21:00.000Z",
      });
      expect(retries.scheduled).toEqual([
        {
          kind: "retry",
          flow: "orders-daily",
          runId: "orders-daily/20260302T1000Z-r",
          attempt: 2,
          at: "2026-03-02T10:21:00.000Z",
        },
      ]);
    });

    it("schedules one retry when the STOPPED event is delivered twice", async () => {
      await record(forRetriedRun("task-stopped-exit-1"));
      await record(forRetriedRun("task-stopped-exit-1"));
      expect(retries.scheduled).toHaveLength(1);
    });

    it("never retries a configuration error", async () => {
      const event = ecsEvent("task-stopped-secrets-pull-failed");
      event.detail.overrides.containerOverrides[0].environment[0].value = "orders-daily/20260302T1000Z-r";
      await record(event);
      expect((await runs.get("orders-daily/20260302T1000Z-r"))?.state).toBe(RunState.FAILED);
      expect(retries.scheduled).toEqual([]);
    });

    it("does not retry a succeeded run", async () => {
      await record(forRetriedRun("task-stopped-exit-0"));
      expect(retries.scheduled).toEqual([]);
    });
  });
});
