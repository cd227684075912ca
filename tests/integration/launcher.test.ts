import * as z from "zod";
import { ConflictException, ECSClient, RunTaskCommand, StopTaskCommand } from "@aws-sdk/client-ecs";
import { mockClient } from "aws-sdk-client-mock";
import { defineRegistry } from "../../flows/registry/flow-registry";
import type { DynamoRunStore } from "../../lambdas/adapters/dynamo-run-store";
import { RunState } from "../../contracts/run-states";
import { InvalidLaunchRequestError } from "../../lambdas/handlers/launch-command-schema";
import { composeForTest, fixtureEcsPorts } from "../support/control-plane";
import { startDynalite } from "../support/dynalite";
import { fixedClock, RecordingPublisher, RecordingRetries } from "../support/recording-publisher";
import { ordersDaily, testFlow } from "../support/flows";

const CLUSTER_ARN = "arn:aws:ecs:eu-west-1:111122223333:cluster/data-flows-dev";
const TASK_ARN = "arn:aws:ecs:eu-west-1:111122223333:task/data-flows-dev/5b1e0c7d9a8f4e2b8c6d4f1a2b3c4d5e";
const registry = defineRegistry([
  ordersDaily({
    retries: 2,
    overlap: "allow",
    params: { target: z.string().default("prod"), window: z.string().default("1d") },
  }),
  testFlow("dbt-after-orders", { upstream: ["orders-daily"] }),
  testFlow("exclusive", {
    overlap: "skip",
    maxLatenessMinutes: 30,
    params: { limit: z.coerce.number().int().min(1).default(100), full: z.stringbool().default(false) },
  }),
]);
const scheduled = { kind: "schedule", flow: "orders-daily", scheduledTime: "2026-03-02T10:00:00Z" };
const retry = (attempt: number) => ({
  kind: "retry",
  flow: "orders-daily",
  runId: "orders-daily/20260302T1000Z",
  attempt,
});

describe("launcher", () => {
  const ecs = mockClient(ECSClient);
  let dynamo: Awaited<ReturnType<typeof startDynalite>>;
  let runs: DynamoRunStore;
  let events: RecordingPublisher;
  let retries: RecordingRetries;
  let handler: (event: unknown) => Promise<{ status: string; runId?: string; state?: string; runs?: string[] }>;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(() => dynamo.close());

  beforeEach(async () => {
    ecs.reset();
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN }], failures: [] });
    runs = await dynamo.freshRunStore();
    events = new RecordingPublisher();
    retries = new RecordingRetries();
    handler = composeForTest({
      retries,
      registry,
      runs,
      ...fixtureEcsPorts(),
      events,
      clock: fixedClock("2026-03-02T10:00:01.250Z"),
      nonces: { nonce: () => "abc123" },
    }).launcher() as typeof handler;
  });

  describe("a scheduled fire", () => {
    it("records the run under its deterministic id and starts one task", async () => {
      const result = await handler(scheduled);
      expect(result).toMatchObject({
        status: "launched",
        runId: "orders-daily/20260302T1000Z",
        state: RunState.STARTING,
      });
      expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(1);
    });

    it("asks ECS for a Fargate task in private subnets with no public IP", async () => {
      await handler(scheduled);
      expect(ecs.commandCalls(RunTaskCommand)[0]!.args[0].input).toMatchObject({
        cluster: CLUSTER_ARN,
        taskDefinition: "data-flows-dev-orders-daily",
        launchType: "FARGATE",
        count: 1,
        networkConfiguration: {
          awsvpcConfiguration: {
            subnets: ["subnet-0a1b2c3d", "subnet-0e1f2a3b"],
            securityGroups: ["sg-0123"],
            assignPublicIp: "DISABLED",
          },
        },
      });
    });

    it("makes RunTask idempotent per attempt with a client token and tags the task with its run", async () => {
      await handler(scheduled);
      const input = ecs.commandCalls(RunTaskCommand)[0]!.args[0].input;
      expect(input.clientToken).toBe("orders-daily/20260302T1000Z#1");
      expect(input.startedBy).toBe("df/orders-daily");
      expect(input.tags).toEqual(
        expect.arrayContaining([
          { key: "data-flows:flow", value: "orders-daily" },
          { key: "data-flows:run-id", value: "orders-daily/20260302T1000Z" },
        ]),
      );
    });

    it("passes run id, attempt, params and data interval to the flow container as environment overrides", async () => {
      await handler({
        kind: "backfill",
        flow: "orders-daily",
        from: "2026-03-02T10:00:00Z",
        to: "2026-03-02T10:00:00Z",
        maxConcurrent: 1,
        params: { window: "7d" },
        requestedBy: "ana",
      });
      const override = ecs.commandCalls(RunTaskCommand)[0]!.args[0].input.overrides?.containerOverrides?.[0];
      expect(override?.name).toBe("flow");
      expect(override?.environment).toEqual([
        { name: "DATA_FLOWS_RUN_ID", value: "orders-daily/b20260302T1000Z" },
        { name: "DATA_FLOWS_ATTEMPT", value: "1" },
        { name: "DATA_FLOWS_PARAMS", value: JSON.stringify({ target: "prod", window: "7d" }) },
        { name: "DATA_FLOWS_INTERVAL_START", value: "2026-03-01T10:00:00.000Z" },
        { name: "DATA_FLOWS_INTERVAL_END", value: "2026-03-02T10:00:00.000Z" },
      ]);
    });

    describe("the data interval", () => {
      it("of a scheduled run spans the schedule's previous fire to its slot", async () => {
        await handler(scheduled);
        expect((await runs.get("orders-daily/20260302T1000Z"))?.dataInterval).toEqual({
          start: "2026-03-01T10:00:00.000Z",
          end: "2026-03-02T10:00:00.000Z",
        });
      });

      it("of a manual run is the latest complete interval as of its `at`", async () => {
        const outcome = (await handler({
          kind: "manual",
          flow: "orders-daily",
          params: {},
          at: "2026-03-05T09:59:00Z",
        })) as { runId: string };
        expect((await runs.get(outcome.runId))?.dataInterval).toEqual({
          start: "2026-03-03T10:00:00.000Z",
          end: "2026-03-04T10:00:00.000Z",
        });
      });
    });

    it("stores the task, the attempt budget and the deadline on the run", async () => {
      await handler(scheduled);
      expect(await runs.get("orders-daily/20260302T1000Z")).toMatchObject({
        taskArn: TASK_ARN,
        taskVersion: 0,
        maxAttempts: 3,
        scheduledFor: "2026-03-02T10:00:00.000Z",
        deadline: "2026-03-02T11:00:01.250Z",
        history: [{ state: RunState.PENDING }, { state: RunState.STARTING, source: "launcher" }],
      });
    });

    it("announces PENDING and STARTING", async () => {
      await handler(scheduled);
      expect(events.transitions).toEqual(["∅->PENDING", "PENDING->STARTING"]);
    });
  });

  describe("repeated deliveries", () => {
    it("starts no second task when the schedule fires twice", async () => {
      await handler(scheduled);
      const second = await handler(scheduled);
      expect(second.status).toBe("duplicate");
      expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(1);
    });

    it("re-drives a run whose launcher died before RunTask, with the same client token", async () => {
      ecs
        .on(RunTaskCommand)
        .rejectsOnce(new Error("socket hang up"))
        .resolves({ tasks: [{ taskArn: TASK_ARN }] });
      await expect(handler(scheduled)).rejects.toThrow("socket hang up");
      const retried = await handler(scheduled);
      expect(retried).toMatchObject({ status: "launched", state: RunState.STARTING });
      const tokens = ecs.commandCalls(RunTaskCommand).map((call) => call.args[0].input.clientToken);
      expect(tokens).toEqual(["orders-daily/20260302T1000Z#1", "orders-daily/20260302T1000Z#1"]);
    });

    it("keeps the recorder's view when a task event got there before the launcher saved the task", async () => {
      await runs.create({
        runId: "orders-daily/20260302T1000Z",
        flow: "orders-daily",
        trigger: "schedule",
        params: {},
        dataInterval: { start: "2026-03-02T09:00:00.000Z", end: "2026-03-02T10:00:00.000Z" },
        state: RunState.PENDING,
        attempt: 1,
        maxAttempts: 3,
        flowRetries: 2,
        createdAt: "2026-03-02T10:00:01.000Z",
        deadline: "2026-03-02T11:00:01.000Z",
      });
      ecs.on(RunTaskCommand).callsFake(async () => {
        await runs.transition({
          runId: "orders-daily/20260302T1000Z",
          attempt: 1,
          to: RunState.RUNNING,
          at: "2026-03-02T10:00:02.000Z",
          source: "recorder",
          task: { taskArn: TASK_ARN, version: 3 },
        });
        return { tasks: [{ taskArn: TASK_ARN }] };
      });
      await handler(scheduled);
      expect(await runs.get("orders-daily/20260302T1000Z")).toMatchObject({ state: RunState.RUNNING, taskVersion: 3 });
      expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
    });

    it("stops the task it started when a racing launch of the same attempt already ended it (no capacity)", async () => {
      ecs.on(StopTaskCommand).resolves({});
      ecs.on(RunTaskCommand).callsFake(async () => {
        // The other launch met no capacity and moved the attempt on while this one's RunTask was starting a task.
        await runs.transition({
          runId: "orders-daily/20260302T1000Z",
          attempt: 1,
          to: RunState.RETRYING,
          at: "2026-03-02T10:00:02.000Z",
          source: "launcher",
          fields: { reason: "Capacity is unavailable at this time" },
        });
        return { tasks: [{ taskArn: TASK_ARN }] };
      });
      expect(await handler(scheduled)).toMatchObject({ status: "duplicate", state: RunState.RETRYING });
      expect(ecs.commandCalls(StopTaskCommand).map((call) => call.args[0].input)).toEqual([
        {
          cluster: CLUSTER_ARN,
          task: TASK_ARN,
          reason: expect.stringMatching(/^data-flows: stray task of orders-daily\/20260302T1000Z attempt 1/),
        },
      ]);
    });
  });

  describe("when ECS cannot start the task", () => {
    const noCapacity = {
      tasks: [],
      failures: [
        { reason: "Capacity is unavailable at this time. Please try again later or in a different availability zone" },
      ],
    };

    it("retries a capacity failure after a backoff, keeping ECS's reason", async () => {
      ecs.on(RunTaskCommand).resolves(noCapacity);
      const result = await handler(scheduled);
      expect(result).toMatchObject({ status: "retry-scheduled", state: RunState.RETRYING });
      expect((await runs.get("orders-daily/20260302T1000Z"))?.reason).toMatch(/^Capacity is unavailable/);
      expect(retries.scheduled).toEqual([
        {
          kind: "retry",
          flow: "orders-daily",
          runId: "orders-daily/20260302T1000Z",
          attempt: 2,
          at: "2026-03-02T10:01:01.250Z",
        },
      ]);
    });

    it("starts the next attempt with its own client token when the retry fires", async () => {
      ecs
        .on(RunTaskCommand)
        .resolvesOnce(noCapacity)
        .resolves({ tasks: [{ taskArn: TASK_ARN }] });
      await handler(scheduled);
      const retried = await handler(retry(2));
      expect(retried).toMatchObject({ status: "launched", state: RunState.STARTING });
      const tokens = ecs.commandCalls(RunTaskCommand).map((call) => call.args[0].input.clientToken);
      expect(tokens).toEqual(["orders-daily/20260302T1000Z#1", "orders-daily/20260302T1000Z#2"]);
      const history = (await runs.get("orders-daily/20260302T1000Z"))?.history;
      expect(history?.map((entry) => `${entry.attempt}:${entry.state}`)).toEqual([
        "1:PENDING",
        "1:RETRYING",
        "2:PENDING",
        "2:STARTING",
      ]);
    });

    it("starts an attempt once when the retry fires twice", async () => {
      ecs
        .on(RunTaskCommand)
        .resolvesOnce(noCapacity)
        .resolves({ tasks: [{ taskArn: TASK_ARN }] });
      await handler(scheduled);
      await handler(retry(2));
      const again = await handler(retry(2));
      expect(again).toMatchObject({ status: "duplicate" });
      expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(2);
    });

    it("records the run FAILED once capacity retries are spent", async () => {
      ecs.on(RunTaskCommand).resolves(noCapacity);
      await handler(scheduled);
      await handler(retry(2));
      const last = await handler(retry(3));
      expect(last).toMatchObject({ status: "launch-failed", state: RunState.FAILED });
    });

    it("adopts the task ECS names when the client token was used by a different request", async () => {
      ecs.on(RunTaskCommand).rejects(
        new ConflictException({
          $metadata: {},
          message: "The provided clientToken is already in use",
          resourceIds: [TASK_ARN],
        }),
      );
      expect(await handler(scheduled)).toMatchObject({ status: "launched", state: RunState.STARTING });
      expect((await runs.get("orders-daily/20260302T1000Z"))?.taskArn).toBe(TASK_ARN);
    });

    it("lets a thrown RunTask error reach the platform so it retries", async () => {
      ecs.on(RunTaskCommand).rejects(new Error("ThrottlingException: Rate exceeded"));
      await expect(handler(scheduled)).rejects.toThrow("Rate exceeded");
    });
  });

  describe("manual runs", () => {
    it("gets its own id and merges params over the flow's defaults", async () => {
      const result = await handler({ kind: "manual", flow: "orders-daily", params: { target: "dev" } });
      expect(result.runId).toBe("orders-daily/m20260302T100001Z-abc123");
      expect((await runs.get(result.runId!))?.params).toEqual({ target: "dev", window: "1d" });
    });

    it("records typed params as the flow's schemas read them back", async () => {
      const result = await handler({ kind: "manual", flow: "exclusive", params: { limit: "0010", full: "yes" } });
      expect((await runs.get(result.runId!))?.params).toEqual({ limit: "10", full: "true" });
    });

    it.each([
      ["an unknown param", { stpes: "5" }, 'param "stpes": unknown param'],
      ["a value of the wrong type", { limit: "ten" }, 'param "limit": Invalid input: expected number'],
      ["a value out of bounds", { limit: "0" }, 'param "limit": Too small'],
    ])("refuses %s before any run is recorded, naming the param", async (_, params, message) => {
      await expect(handler({ kind: "manual", flow: "exclusive", params })).rejects.toThrow(message);
      expect(await runs.listByFlow("exclusive", { limit: 5 })).toEqual([]);
      expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
    });
  });

  describe("bad input", () => {
    it.each([
      ["no flow", { kind: "manual" }, /flow/],
      ["a scheduled fire without its time", { kind: "schedule", flow: "orders-daily" }, /scheduledTime/],
      ["an unknown kind", { kind: "cron", flow: "orders-daily" }, /kind/],
      ["no kind at all", { flow: "orders-daily", trigger: "manual" }, /kind/],
      ["a field no kind has", { kind: "manual", flow: "orders-daily", priority: "high" }, /priority/],
      [
        "a retry of another flow's run",
        { kind: "retry", flow: "exclusive", runId: "orders-daily/x", attempt: 2 },
        /runId/,
      ],
      ["a non-string param", { kind: "manual", flow: "orders-daily", params: { n: 1 } }, /params\.n/],
    ])("rejects %s with a clear error and starts nothing", async (_, event, message) => {
      await expect(handler(event)).rejects.toThrow(InvalidLaunchRequestError);
      await expect(handler(event)).rejects.toThrow(message);
      expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
    });

    it("rejects an unknown flow, naming the flows that exist", async () => {
      await expect(handler({ kind: "manual", flow: "nope" })).rejects.toThrow(
        /unknown flow "nope"; known flows: orders-daily/,
      );
    });
  });

  describe("downstream flows", () => {
    const success = (runId: string, to: string = RunState.SUCCEEDED) => ({
      source: "data-flows",
      "detail-type": "Flow Run State Change",
      detail: {
        runId,
        flow: "orders-daily",
        trigger: "schedule",
        from: "RUNNING",
        to,
        attempt: 1,
        maxAttempts: 3,
        at: "2026-03-02T10:15:00Z",
      },
    });

    it("starts each flow downstream of a succeeded run, under an id derived from the upstream run", async () => {
      const result = await handler(success("orders-daily/20260302T1000Z"));
      expect(result).toEqual({ status: "followed", runs: ["dbt-after-orders/u20260302T1000Z"] });
      expect(await runs.get("dbt-after-orders/u20260302T1000Z")).toMatchObject({
        trigger: "upstream",
        state: RunState.STARTING,
      });
    });

    it("gives the downstream run its upstream run's data interval", async () => {
      await handler(scheduled);
      await handler(success("orders-daily/20260302T1000Z"));
      expect((await runs.get("dbt-after-orders/u20260302T1000Z"))?.dataInterval).toEqual({
        start: "2026-03-01T10:00:00.000Z",
        end: "2026-03-02T10:00:00.000Z",
      });
    });

    it("starts the downstream flow once when the success is delivered twice", async () => {
      await handler(success("orders-daily/20260302T1000Z"));
      await handler(success("orders-daily/20260302T1000Z"));
      expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(1);
    });

    it("starts nothing for a failure", async () => {
      expect(await handler(success("orders-daily/20260302T1000Z", RunState.FAILED))).toEqual({
        status: "followed",
        runs: [],
      });
      expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
    });
  });

  describe("max lateness", () => {
    it("records a fire later than the flow's max lateness as SKIPPED and starts nothing", async () => {
      const late = { kind: "schedule", flow: "exclusive", scheduledTime: "2026-03-02T09:00:00Z" };
      expect(await handler(late)).toMatchObject({ status: "skipped", state: RunState.SKIPPED });
      expect((await runs.get("exclusive/20260302T0900Z"))?.reason).toBe(
        "late: fired 60 minutes after its slot (max lateness 30)",
      );
      expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
      expect(events.transitions).toEqual(["∅->SKIPPED"]);
    });

    it("launches a fire within the max lateness", async () => {
      const onTime = { kind: "schedule", flow: "exclusive", scheduledTime: "2026-03-02T09:45:00Z" };
      expect(await handler(onTime)).toMatchObject({ status: "launched" });
    });
  });

  describe("overlap policy skip", () => {
    const fire = (hhmm: string) => ({
      kind: "schedule",
      flow: "exclusive",
      scheduledTime: `2026-03-02T${hhmm}:00Z`,
    });

    it("records a run that would overlap an active one as SKIPPED, naming the active run", async () => {
      await handler(fire("09:50"));
      expect(await handler(fire("09:55"))).toMatchObject({ status: "skipped", state: RunState.SKIPPED });
      expect((await runs.get("exclusive/20260302T0955Z"))?.reason).toBe(
        "overlap: exclusive/20260302T0950Z is still STARTING",
      );
      expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(1);
    });

    it("lets the next run start once the active one has ended and released the lock", async () => {
      await handler(fire("09:50"));
      await runs.transition({
        runId: "exclusive/20260302T0950Z",
        attempt: 1,
        to: RunState.SUCCEEDED,
        at: "2026-03-02T09:59:00Z",
        source: "recorder",
        task: { taskArn: TASK_ARN, version: 6 },
      });
      // The recorder normally releases the lock with the ending; here the release was lost: the launcher heals it.
      expect((await runs.lockHolder("exclusive"))?.runId).toBe("exclusive/20260302T0950Z");
      expect(await handler(fire("09:55"))).toMatchObject({ status: "launched" });
      expect((await runs.lockHolder("exclusive"))?.runId).toBe("exclusive/20260302T0955Z");
    });

    it("keeps the lock with its run when the same fire is delivered twice", async () => {
      await handler(fire("09:50"));
      expect(await handler(fire("09:50"))).toMatchObject({ status: "duplicate" });
      expect((await runs.lockHolder("exclusive"))?.runId).toBe("exclusive/20260302T0950Z");
    });

    it("never takes a lock for a flow that allows overlap", async () => {
      await handler(scheduled);
      expect(await runs.lockHolder("orders-daily")).toBeUndefined();
    });
  });
});
