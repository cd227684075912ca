import { DescribeTasksCommand, ECSClient, ListTasksCommand, StopTaskCommand } from "@aws-sdk/client-ecs";
import { mockClient } from "aws-sdk-client-mock";
import { defineRegistry } from "../../flows/registry/flow-registry";
import type { DynamoRunStore } from "../../lambdas/adapters/dynamo-run-store";
import { EcsTaskControl } from "../../lambdas/adapters/ecs-task-control";
import type { LaunchCommand } from "../../contracts/launch-commands";
import type { ReapReport } from "../../lambdas/core/reap-runs";
import { RunState } from "../../contracts/run-states";
import { composeForTest } from "../support/control-plane";
import { startDynalite } from "../support/dynalite";
import { fixedClock, RecordingPublisher, RecordingRetries } from "../support/recording-publisher";
import { FIXTURE_TASK_ARN, newRun } from "../support/runs";
import { ordersDaily, testFlow } from "../support/flows";

const CLUSTER_ARN = "arn:aws:ecs:eu-west-1:111122223333:cluster/data-flows-dev";
const registry = defineRegistry([
  ordersDaily({ schedule: undefined, timeoutMinutes: 60 }),
  testFlow("idle", { overlap: "skip" }),
]);
const NOW = "2026-03-02T12:00:00.000Z";
const NOTHING_TO_DO: ReapReport = {
  redriven: [],
  retried: [],
  timedOut: [],
  lost: [],
  reconciled: [],
  expired: [],
  settled: [],
  locksReleased: [],
  backfillsNudged: [],
  straysStopped: [],
  phantoms: [],
  failed: [],
  incomplete: false,
};

describe("reaper", () => {
  const ecs = mockClient(ECSClient);
  let dynamo: Awaited<ReturnType<typeof startDynalite>>;
  let runs: DynamoRunStore;
  let events: RecordingPublisher;
  let relaunched: LaunchCommand[];
  let reap: () => Promise<ReapReport>;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(() => dynamo.close());

  beforeEach(async () => {
    ecs.reset();
    ecs.on(StopTaskCommand).resolves({});
    runs = await dynamo.freshRunStore();
    events = new RecordingPublisher();
    relaunched = [];
    const reaper = composeForTest(
      {
        registry,
        runs,
        taskControl: new EcsTaskControl({ client: new ECSClient({ region: "eu-west-1" }), clusterArn: CLUSTER_ARN }),
        launches: { send: async (command) => void relaunched.push(command) },
        events,
        retries: new RecordingRetries(),
        clock: fixedClock(NOW),
      },
      { clusterArn: CLUSTER_ARN },
    ).reaper();
    reap = () => reaper(undefined) as Promise<ReapReport>;
  });

  /** A run whose task started at `startedAt` and last changed at `lastEventAt`. */
  async function runningRun(runId: string, createdAt: string, lastEventAt: string) {
    await runs.create(
      newRun({ runId, createdAt, deadline: new Date(Date.parse(createdAt) + 60 * 60_000).toISOString() }),
    );
    await runs.transition({
      runId,
      attempt: 1,
      to: RunState.RUNNING,
      at: lastEventAt,
      source: "recorder",
      task: { taskArn: `${FIXTURE_TASK_ARN}-${runId.slice(-5)}`, version: 3 },
    });
  }

  describe("holding what ECS runs to the runs", () => {
    const RUN_ID = "orders-daily/20260302T1150Z";
    const STRAY = `${FIXTURE_TASK_ARN}-stray`;
    /** ECS runs one task, started by data-flows for attempt `attempt` of the run. */
    const ecsRuns = (attempt: number) => {
      ecs.on(ListTasksCommand).resolves({ taskArns: [STRAY] });
      ecs.on(DescribeTasksCommand).resolves({
        tasks: [
          {
            taskArn: STRAY,
            lastStatus: "RUNNING",
            startedBy: "df/orders-daily",
            overrides: {
              containerOverrides: [
                {
                  name: "flow",
                  environment: [
                    { name: "DATA_FLOWS_RUN_ID", value: RUN_ID },
                    { name: "DATA_FLOWS_ATTEMPT", value: String(attempt) },
                  ],
                },
              ],
            },
          },
        ],
      });
    };

    it("stops a task no run records as its own (a launch that lost a race, a stop that failed)", async () => {
      await runningRun(RUN_ID, "2026-03-02T11:50:00.000Z", "2026-03-02T11:55:00.000Z");
      ecsRuns(1); // attempt 1 of the run, which has another task
      expect((await reap()).straysStopped).toEqual([STRAY]);
      expect(ecs.commandCalls(StopTaskCommand)[0]!.args[0].input).toMatchObject({
        task: STRAY,
        reason: expect.stringContaining(`stray task of ${RUN_ID} attempt 1`),
      });
    });

    it("leaves alone a task whose launch is still being recorded (its run PENDING, no task yet)", async () => {
      await runs.create(newRun({ runId: RUN_ID, createdAt: "2026-03-02T11:59:50.000Z" }));
      ecsRuns(1);
      expect((await reap()).straysStopped).toEqual([]);
      expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
    });
  });

  it("stops a task past its flow's timeout and ends the run TIMED_OUT", async () => {
    await runningRun("orders-daily/20260302T1000Z", "2026-03-02T10:00:00.000Z", "2026-03-02T11:55:00.000Z");
    ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: `${FIXTURE_TASK_ARN}-1000Z`, lastStatus: "RUNNING" }] });
    const report = await reap();
    expect(report.timedOut).toEqual(["orders-daily/20260302T1000Z"]);
    expect(ecs.commandCalls(StopTaskCommand)[0]!.args[0].input).toMatchObject({
      cluster: CLUSTER_ARN,
      task: `${FIXTURE_TASK_ARN}-1000Z`,
      reason: expect.stringContaining("60-minute timeout"),
    });
    expect(await runs.get("orders-daily/20260302T1000Z")).toMatchObject({ state: RunState.TIMED_OUT, endedAt: NOW });
    expect(events.transitions).toEqual(["RUNNING->TIMED_OUT"]);
  });

  it("ends a run past its timeout as its task ended when ECS says it stopped on its own (its STOPPED event late)", async () => {
    await runningRun("orders-daily/20260302T1000Z", "2026-03-02T10:00:00.000Z", "2026-03-02T10:01:00.000Z");
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          taskArn: `${FIXTURE_TASK_ARN}-1000Z`,
          lastStatus: "STOPPED",
          stopCode: "EssentialContainerExited",
          stoppedAt: new Date("2026-03-02T10:50:00.000Z"),
          containers: [{ name: "flow", exitCode: 0 }],
        },
      ],
    });
    const report = await reap();
    expect(report).toMatchObject({ timedOut: [], reconciled: ["orders-daily/20260302T1000Z"] });
    expect(await runs.get("orders-daily/20260302T1000Z")).toMatchObject({ state: RunState.SUCCEEDED, exitCode: 0 });
    expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
  });

  it("still times out a run past its timeout when DescribeTasks fails", async () => {
    await runningRun("orders-daily/20260302T1000Z", "2026-03-02T10:00:00.000Z", "2026-03-02T11:55:00.000Z");
    ecs.on(DescribeTasksCommand).rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }));
    expect((await reap()).timedOut).toEqual(["orders-daily/20260302T1000Z"]);
    expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(1);
  });

  it("re-drives a run whose launcher died before RunTask, by its run id", async () => {
    await runs.create(
      newRun({ runId: "orders-daily/20260302T1100Z", createdAt: "2026-03-02T11:55:00.000Z", params: { window: "1d" } }),
    );
    expect((await reap()).redriven).toEqual(["orders-daily/20260302T1100Z"]);
    expect(relaunched).toEqual([{ kind: "redrive", flow: "orders-daily", runId: "orders-daily/20260302T1100Z" }]);
  });

  it("leaves alone a stranded run the active index lists but the table no longer holds", async () => {
    // A GSI is eventually consistent: its entry can outlive the item for a while.
    const phantom = { ...newRun({ runId: "orders-daily/20260302T1100Z", createdAt: "2026-03-02T11:55:00.000Z" }) };
    const listActivePage = runs.listActivePage.bind(runs);
    jest.spyOn(runs, "listActivePage").mockImplementation(async (flow, options) => {
      const page = await listActivePage(flow, options);
      if (flow !== "orders-daily") return page;
      return { ...page, runs: [...page.runs, { ...phantom, updatedAt: phantom.createdAt, history: [] }] };
    });
    const report = await reap();
    expect(report).toMatchObject({ redriven: [], expired: [], phantoms: ["orders-daily/20260302T1100Z"] });
    expect(relaunched).toEqual([]);
  });

  it("acts on the run as the table holds it, not as a stale index entry lists it", async () => {
    await runningRun("orders-daily/20260302T1150Z", "2026-03-02T11:50:00.000Z", "2026-03-02T11:51:00.000Z");
    const listActivePage = runs.listActivePage.bind(runs);
    jest.spyOn(runs, "listActivePage").mockImplementation(async (flow, options) => {
      const page = await listActivePage(flow, options);
      // The index is ahead of its item: it lists an ending (owing its announcement) that the item never got.
      return { ...page, runs: page.runs.map((run) => ({ ...run, state: RunState.SUCCEEDED, settlement: {} })) };
    });
    expect(await reap()).toEqual(NOTHING_TO_DO);
    expect(events.transitions).toEqual([]);
  });

  it("leaves a fresh PENDING run to its launcher", async () => {
    await runs.create(newRun({ runId: "orders-daily/20260302T1159Z", createdAt: "2026-03-02T11:59:30.000Z" }));
    expect((await reap()).redriven).toEqual([]);
  });

  it("ends a quiet run LOST when ECS no longer knows its task", async () => {
    await runningRun("orders-daily/20260302T1130Z", "2026-03-02T11:30:00.000Z", "2026-03-02T11:31:00.000Z");
    ecs
      .on(DescribeTasksCommand)
      .resolves({ tasks: [], failures: [{ arn: `${FIXTURE_TASK_ARN}-1130Z`, reason: "MISSING" }] });
    expect((await reap()).lost).toEqual(["orders-daily/20260302T1130Z"]);
    expect((await runs.get("orders-daily/20260302T1130Z"))?.state).toBe(RunState.LOST);
  });

  it("asks again next pass when DescribeTasks gives no answer for a quiet run's task", async () => {
    await runningRun("orders-daily/20260302T1130Z", "2026-03-02T11:30:00.000Z", "2026-03-02T11:31:00.000Z");
    ecs
      .on(DescribeTasksCommand)
      .resolves({ tasks: [], failures: [{ arn: `${FIXTURE_TASK_ARN}-1130Z`, reason: "ERROR" }] });
    expect(await reap()).toEqual(NOTHING_TO_DO);
    expect((await runs.get("orders-daily/20260302T1130Z"))?.state).toBe(RunState.RUNNING);
  });

  it("ends a quiet run as its task ended when the STOPPED event was missed", async () => {
    await runningRun("orders-daily/20260302T1130Z", "2026-03-02T11:30:00.000Z", "2026-03-02T11:31:00.000Z");
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          taskArn: `${FIXTURE_TASK_ARN}-1130Z`,
          lastStatus: "STOPPED",
          stopCode: "EssentialContainerExited",
          containers: [{ name: "flow", exitCode: 0 }],
        },
      ],
    });
    expect((await reap()).reconciled).toEqual(["orders-daily/20260302T1130Z"]);
    expect(await runs.get("orders-daily/20260302T1130Z")).toMatchObject({ state: RunState.SUCCEEDED, exitCode: 0 });
  });

  it("leaves alone a run that is still running, recently heard from and within its timeout", async () => {
    await runningRun("orders-daily/20260302T1150Z", "2026-03-02T11:50:00.000Z", "2026-03-02T11:55:00.000Z");
    expect(await reap()).toEqual(NOTHING_TO_DO);
    // It lists what ECS runs (to hold it to the runs), and stops or asks about nothing.
    expect(ecs.calls().map((call) => call.args[0].constructor.name)).toEqual(["ListTasksCommand"]);
  });

  it("never touches a terminal run", async () => {
    await runningRun("orders-daily/20260302T1000Z", "2026-03-02T10:00:00.000Z", "2026-03-02T10:05:00.000Z");
    await runs.transition({
      runId: "orders-daily/20260302T1000Z",
      attempt: 1,
      to: RunState.SUCCEEDED,
      at: "2026-03-02T10:30:00.000Z",
      source: "recorder",
      task: { taskArn: `${FIXTURE_TASK_ARN}-1000Z`, version: 6 },
    });
    expect(await reap()).toEqual(NOTHING_TO_DO);
  });

  it("starts the next attempt of a RETRYING run whose retry schedule never fired", async () => {
    await runningRun("orders-daily/20260302T1130Z", "2026-03-02T11:30:00.000Z", "2026-03-02T11:31:00.000Z");
    await runs.transition({
      runId: "orders-daily/20260302T1130Z",
      attempt: 1,
      to: RunState.RETRYING,
      at: "2026-03-02T11:40:00.000Z",
      source: "recorder",
      task: { taskArn: `${FIXTURE_TASK_ARN}-1130Z`, version: 6 },
      fields: { retryAt: "2026-03-02T11:55:00.000Z", maxAttempts: 2 },
    });
    expect((await reap()).retried).toEqual(["orders-daily/20260302T1130Z"]);
    expect(relaunched).toEqual([
      { kind: "retry", flow: "orders-daily", runId: "orders-daily/20260302T1130Z", attempt: 2 },
    ]);
    expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
  });

  it("ends FAILED a RETRYING run whose next attempt never started by its launch deadline", async () => {
    await runningRun("orders-daily/20260302T1130Z", "2026-03-02T11:30:00.000Z", "2026-03-02T11:31:00.000Z");
    await runs.transition({
      runId: "orders-daily/20260302T1130Z",
      attempt: 1,
      to: RunState.RETRYING,
      at: "2026-03-02T11:40:00.000Z",
      source: "recorder",
      task: { taskArn: `${FIXTURE_TASK_ARN}-1130Z`, version: 6 },
      fields: { retryAt: "2026-03-02T11:41:00.000Z", maxAttempts: 2, reason: "Essential container in task exited" },
    });
    expect((await reap()).retried).toEqual(["orders-daily/20260302T1130Z"]); // the re-sent retry never starts either
    expect((await reap()).expired).toEqual(["orders-daily/20260302T1130Z"]);
    expect(await runs.get("orders-daily/20260302T1130Z")).toMatchObject({
      state: RunState.FAILED,
      reason: expect.stringMatching(/^attempt 2 never started/),
    });
    expect(relaunched).toHaveLength(1);
  });

  it("releases a lock whose holder has ended", async () => {
    await runs.create(newRun({ runId: "idle/20260302T1000Z", flow: "idle", state: RunState.PENDING }));
    await runs.acquireLock("idle", "idle/20260302T1000Z", "2026-03-02T10:00:00.000Z");
    await runs.transition({
      runId: "idle/20260302T1000Z",
      attempt: 1,
      to: RunState.FAILED,
      at: NOW,
      source: "launcher",
    });
    expect((await reap()).locksReleased).toEqual(["idle/20260302T1000Z"]);
    expect(await runs.lockHolder("idle")).toBeUndefined();
  });

  describe("the lock of a run cancelled while its task ran", () => {
    const RUN = "idle/20260302T1100Z";
    const TASK = `${FIXTURE_TASK_ARN}-idle`;
    beforeEach(async () => {
      await runs.create(newRun({ runId: RUN, flow: "idle", createdAt: "2026-03-02T11:00:00.000Z", holdsLock: true }));
      await runs.acquireLock("idle", RUN, "2026-03-02T11:00:00.000Z");
      await runs.transition({
        runId: RUN,
        attempt: 1,
        to: RunState.RUNNING,
        at: NOW,
        source: "recorder",
        task: { taskArn: TASK, version: 3 },
      });
      await runs.transition({
        runId: RUN,
        attempt: 1,
        to: RunState.CANCELLED,
        at: NOW,
        source: "cli",
        fields: { endedAt: NOW },
      });
    });

    it("is kept while ECS says its task is still shutting down", async () => {
      ecs
        .on(DescribeTasksCommand)
        .resolves({ tasks: [{ taskArn: TASK, lastStatus: "DEACTIVATING", desiredStatus: "STOPPED" }] });
      expect((await reap()).locksReleased).toEqual([]);
      expect((await runs.lockHolder("idle"))?.runId).toBe(RUN);
    });

    it("is released once ECS says the task has stopped (its STOPPED event lost)", async () => {
      ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: TASK, lastStatus: "STOPPED" }] });
      expect((await reap()).locksReleased).toEqual([RUN]);
    });
  });

  it("keeps a lock just taken for a run its launcher has not recorded yet", async () => {
    await runs.acquireLock("idle", "idle/20260302T1159Z", "2026-03-02T11:59:30.000Z");
    expect((await reap()).locksReleased).toEqual([]);
  });
});
