import { ECSClient, RunTaskCommand } from "@aws-sdk/client-ecs";
import { Logger } from "@aws-lambda-powertools/logger";
import { mockClient } from "aws-sdk-client-mock";
import { defineRegistry } from "../../flows/registry/flow-registry";
import type { DynamoRunStore } from "../../lambdas/adapters/dynamo-run-store";
import { EcsTaskLauncher } from "../../lambdas/adapters/ecs-task-launcher";
import { createLaunchDownstream, createLaunchRun, InvalidLaunchRequestError } from "../../lambdas/core/launch-run";
import { RunState } from "../../lambdas/core/run-state";
import { createLauncherHandler } from "../../lambdas/launcher";
import { startDynalite } from "../support/dynalite";
import { fixedClock, RecordingPublisher } from "../support/recording-publisher";

const CLUSTER_ARN = "arn:aws:ecs:eu-west-1:111122223333:cluster/data-flows-dev";
const TASK_ARN = "arn:aws:ecs:eu-west-1:111122223333:task/data-flows-dev/5b1e0c7d9a8f4e2b8c6d4f1a2b3c4d5e";
const registry = defineRegistry([
  {
    name: "orders-daily",
    description: "Loads orders",
    owner: "@data-eng",
    schedule: { cron: "0 10 * * *" },
    retries: 2,
    params: { target: "prod", window: "1d" },
  },
  {
    name: "dbt-after-orders",
    description: "Builds models on fresh orders",
    owner: "@analytics",
    upstream: ["orders-daily"],
  },
]);
const scheduled = { flow: "orders-daily", trigger: "schedule", scheduledTime: "2026-03-02T10:00:00Z" };

describe("launcher", () => {
  const ecs = mockClient(ECSClient);
  let dynamo: Awaited<ReturnType<typeof startDynalite>>;
  let runs: DynamoRunStore;
  let events: RecordingPublisher;
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
    const launchRun = createLaunchRun({
      registry,
      runs,
      tasks: new EcsTaskLauncher({
        client: new ECSClient({ region: "eu-west-1" }),
        clusterArn: CLUSTER_ARN,
        subnetIds: ["subnet-0a1b2c3d", "subnet-0e1f2a3b"],
        securityGroupIds: ["sg-0123"],
        taskDefinitionPrefix: "data-flows-dev-",
      }),
      events,
      clock: fixedClock("2026-03-02T10:00:01.250Z"),
      nonces: { nonce: () => "abc123" },
    });
    handler = createLauncherHandler({
      launchRun,
      launchDownstream: createLaunchDownstream({ registry }, launchRun),
      logger: new Logger({ logLevel: "SILENT" }),
    });
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

    it("passes run id, attempt and params to the flow container as environment overrides", async () => {
      await handler({ ...scheduled, params: { window: "7d" } });
      const override = ecs.commandCalls(RunTaskCommand)[0]!.args[0].input.overrides?.containerOverrides?.[0];
      expect(override?.name).toBe("flow");
      expect(override?.environment).toEqual([
        { name: "DATA_FLOWS_RUN_ID", value: "orders-daily/20260302T1000Z" },
        { name: "DATA_FLOWS_ATTEMPT", value: "1" },
        { name: "DATA_FLOWS_PARAMS", value: JSON.stringify({ target: "prod", window: "7d" }) },
      ]);
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
        state: RunState.PENDING,
        attempt: 1,
        maxAttempts: 3,
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
    });
  });

  describe("when ECS cannot start the task", () => {
    it("records the run FAILED with ECS's reason", async () => {
      ecs.on(RunTaskCommand).resolves({
        tasks: [],
        failures: [
          {
            reason: "Capacity is unavailable at this time. Please try again later or in a different availability zone",
          },
        ],
      });
      const result = await handler(scheduled);
      expect(result).toMatchObject({ status: "launch-failed", state: RunState.FAILED });
      expect((await runs.get("orders-daily/20260302T1000Z"))?.reason).toMatch(/^Capacity is unavailable/);
    });

    it("lets a thrown RunTask error reach the platform so it retries", async () => {
      ecs.on(RunTaskCommand).rejects(new Error("ThrottlingException: Rate exceeded"));
      await expect(handler(scheduled)).rejects.toThrow("Rate exceeded");
    });
  });

  describe("manual runs", () => {
    it("gets its own id and merges params over the flow's defaults", async () => {
      const result = await handler({ flow: "orders-daily", params: { target: "dev" } });
      expect(result.runId).toBe("orders-daily/m20260302T100001Z-abc123");
      expect((await runs.get(result.runId!))?.params).toEqual({ target: "dev", window: "1d" });
    });
  });

  describe("bad input", () => {
    it.each([
      ["no flow", { trigger: "manual" }, /flow/],
      ["a scheduled fire without its time", { flow: "orders-daily", trigger: "schedule" }, /scheduledTime/],
      ["an unknown trigger", { flow: "orders-daily", trigger: "cron" }, /trigger/],
      ["a non-string param", { flow: "orders-daily", params: { n: 1 } }, /params\.n/],
    ])("rejects %s with a clear error and starts nothing", async (_, event, message) => {
      await expect(handler(event)).rejects.toThrow(InvalidLaunchRequestError);
      await expect(handler(event)).rejects.toThrow(message);
      expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
    });

    it("rejects an unknown flow, naming the flows that exist", async () => {
      await expect(handler({ flow: "nope" })).rejects.toThrow(/unknown flow "nope"; known flows: orders-daily/);
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
      expect(result).toEqual({ status: "downstream", runs: ["dbt-after-orders/u20260302T1000Z"] });
      expect(await runs.get("dbt-after-orders/u20260302T1000Z")).toMatchObject({
        trigger: "upstream",
        state: RunState.STARTING,
      });
    });

    it("starts the downstream flow once when the success is delivered twice", async () => {
      await handler(success("orders-daily/20260302T1000Z"));
      await handler(success("orders-daily/20260302T1000Z"));
      expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(1);
    });

    it("starts nothing for a failure", async () => {
      expect(await handler(success("orders-daily/20260302T1000Z", RunState.FAILED))).toEqual({
        status: "downstream",
        runs: [],
      });
      expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
    });
  });
});
