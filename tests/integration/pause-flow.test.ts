import { RunTaskCommand } from "@aws-sdk/client-ecs";
import { defineRegistry } from "../../flows/registry/flow-registry";
import type { DynamoFlowState } from "../../lambdas/adapters/dynamo-flow-state";
import { RunState } from "../../contracts/run-states";
import { startDynalite } from "../support/dynalite";
import { controlPlaneTestbed } from "../support/testbed";
import { ordersDaily, testFlow } from "../support/flows";

const registry = defineRegistry([
  ordersDaily({ overlap: "allow" }),
  testFlow("after-orders", { upstream: ["orders-daily"], overlap: "allow" }),
]);
const fire = (day: string) => ({ kind: "schedule", flow: "orders-daily", scheduledTime: `2026-03-${day}T10:00:00Z` });
const pause = { kind: "pause", flow: "orders-daily", requestedBy: "ana", reason: "warehouse migration" };
const resume = { kind: "resume", flow: "orders-daily", requestedBy: "ben" };

describe("pausing a flow", () => {
  const { ecs, bed } = controlPlaneTestbed(registry);
  const launcher = (event: unknown) => bed.launcher(event);

  it("records who paused it, when and why, in the runs table", async () => {
    expect(await launcher(pause)).toEqual({
      status: "paused",
      flow: "orders-daily",
      pause: { pausedBy: "ana", pausedAt: bed.now, reason: "warehouse migration" },
    });
    expect(await bed.flowState.pauseOf("orders-daily")).toEqual({
      pausedBy: "ana",
      pausedAt: bed.now,
      reason: "warehouse migration",
    });
  });

  it("records a scheduled fire while paused as SKIPPED with reason paused, and starts no task", async () => {
    await launcher(pause);
    expect(await launcher(fire("02"))).toMatchObject({ status: "skipped", state: RunState.SKIPPED });
    expect((await bed.runs.get("orders-daily/20260302T1000Z"))!.reason).toBe(
      `paused by ana at ${bed.now}: warehouse migration`,
    );
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
  });

  it("announces a held fire with the pause that held it, so on-call hears of the pause once, not per fire", async () => {
    await launcher(pause);
    await launcher(fire("02"));
    expect(bed.events.published.at(-1)).toMatchObject({ to: RunState.SKIPPED, pausedAt: bed.now });
  });

  it("holds a fire that read the flow unpaused just before the pause was written, before its RunTask", async () => {
    const pauseOf = bed.flowState.pauseOf.bind(bed.flowState);
    jest.spyOn(bed.flowState, "pauseOf").mockImplementationOnce(async (flow) => {
      const read = await pauseOf(flow);
      await launcher(pause); // the operator's pause lands between the fire's look and its write
      return read;
    });
    expect(await launcher(fire("02"))).toMatchObject({ status: "skipped", state: RunState.SKIPPED });
    expect(await bed.runs.get("orders-daily/20260302T1000Z")).toMatchObject({
      state: RunState.SKIPPED,
      pausedAt: bed.now,
      reason: `paused by ana at ${bed.now}: warehouse migration`,
    });
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
  });

  it("holds what an upstream success would start, too", async () => {
    await launcher({ ...pause, flow: "after-orders" });
    const success = {
      "detail-type": "Flow Run State Change",
      source: "data-flows",
      detail: {
        runId: "orders-daily/20260302T1000Z",
        flow: "orders-daily",
        trigger: "schedule",
        from: "RUNNING",
        to: "SUCCEEDED",
        attempt: 1,
        maxAttempts: 1,
        at: bed.now,
      },
    };
    await launcher(success);
    expect(await bed.runs.get("after-orders/u20260302T1000Z")).toMatchObject({
      state: RunState.SKIPPED,
      reason: expect.stringMatching(/^paused by ana/),
    });
  });

  it("lets an operator's own manual run through", async () => {
    await launcher(pause);
    expect(await launcher({ kind: "manual", flow: "orders-daily", params: {} })).toMatchObject({ status: "launched" });
  });

  it("keeps the first pause when paused again", async () => {
    await launcher(pause);
    await launcher({ ...pause, requestedBy: "ben", reason: "me too" });
    expect((await bed.flowState.pauseOf("orders-daily"))?.pausedBy).toBe("ana");
  });

  it("launches the next fire once resumed", async () => {
    await launcher(pause);
    await launcher(fire("02"));
    expect(await launcher(resume)).toMatchObject({ status: "resumed", pause: { pausedBy: "ana" } });
    bed.now = "2026-03-03T10:00:05.000Z";
    expect(await launcher(fire("03"))).toMatchObject({ status: "launched", state: RunState.STARTING });
  });

  it("says so when resuming a flow that was not paused", async () => {
    expect(await launcher(resume)).toEqual({ status: "not-paused", flow: "orders-daily" });
  });

  it("is refused for a flow the registry does not have", async () => {
    await expect(launcher({ ...pause, flow: "nope" })).rejects.toThrow(/unknown flow "nope"/);
  });
});

describe("a flow's watermark in the runs table", () => {
  let dynamo: Awaited<ReturnType<typeof startDynalite>>;
  let flowState: DynamoFlowState;

  beforeAll(async () => {
    dynamo = await startDynalite();
    ({ flowState } = await dynamo.freshStores());
  });
  afterAll(() => dynamo.close());

  const commit = (value: string, runId = "f/20260302T1000Z") =>
    flowState.commitWatermark("f", { value, runId, committedAt: "2026-03-02T10:05:00.000Z" });

  it("moves only forward, compared as text (ISO 8601 instants order so)", async () => {
    expect(await commit("2026-03-02T00:00:00Z")).toBe("advanced");
    expect(await commit("2026-03-01T00:00:00Z", "f/20260301T1000Z")).toBe("kept");
    expect(await commit("2026-03-02T00:00:00Z")).toBe("kept");
    expect(await commit("2026-03-03T00:00:00Z")).toBe("advanced");
    expect(await flowState.watermarkOf("f")).toEqual({
      value: "2026-03-03T00:00:00Z",
      runId: "f/20260302T1000Z",
      committedAt: "2026-03-02T10:05:00.000Z",
    });
  });

  it("is absent for a flow that never committed one", async () => {
    expect(await flowState.watermarkOf("other")).toBeUndefined();
  });
});
