import { RunTaskCommand } from "@aws-sdk/client-ecs";
import { defineRegistry } from "../../flows/registry/flow-registry";
import { DynamoWatermarkSink } from "../../flows/runtime/dynamo-watermark-sink";
import { RunState } from "../../contracts/run-states";
import { ecsEvent } from "../support/fixtures";
import { controlPlaneTestbed } from "../support/testbed";
import { ordersDaily } from "../support/flows";

const RUN_ID = "orders-daily/20260302T1000Z";
const registry = defineRegistry([ordersDaily({ retries: 1, overlap: "allow", watermark: true })]);
const fire = (day = "02") => ({ kind: "schedule", flow: "orders-daily", scheduledTime: `2026-03-${day}T10:00:00Z` });

describe("a flow's watermark", () => {
  const { ecs, bed } = controlPlaneTestbed(registry);
  const launcher = (event: unknown) => bed.launcher(event);
  const recorder = (event: unknown) => bed.recorder(event);
  let sink: DynamoWatermarkSink;
  beforeEach(() => {
    // The container's own adapter, writing over real HTTP as the flow's task would.
    sink = new DynamoWatermarkSink(bed.runs.tableName, bed.dynamoEndpoint);
  });
  afterEach(() => sink.close());

  /** One attempt that proposes `value` and then stops as `ending` says. */
  async function attempt(value: string | undefined, ending: "task-stopped-exit-0" | "task-stopped-exit-1", n = 1) {
    const running = ecsEvent("task-running");
    const stopped = ecsEvent(ending);
    for (const event of [running, stopped]) {
      event.detail.overrides.containerOverrides[0].environment[1].value = String(n);
      event.detail.version += (n - 1) * 10;
    }
    await recorder(running);
    if (value) await sink.propose({ runId: RUN_ID, attempt: n, value, at: "2026-03-02T10:01:00.000Z" });
    await recorder(stopped);
  }

  it("is committed when the attempt that proposed it SUCCEEDS", async () => {
    await launcher(fire());
    await attempt("2026-03-02T10:00:00Z", "task-stopped-exit-0");
    expect((await bed.runs.get(RUN_ID))!.state).toBe(RunState.SUCCEEDED);
    expect(await bed.flowState.watermarkOf("orders-daily")).toEqual({
      value: "2026-03-02T10:00:00Z",
      runId: RUN_ID,
      committedAt: expect.any(String),
    });
  });

  it("is left as it was when the attempt fails", async () => {
    await bed.flowState.commitWatermark("orders-daily", {
      value: "2026-03-01T10:00:00Z",
      runId: "x",
      committedAt: "t",
    });
    await launcher(fire());
    await attempt("2026-03-02T10:00:00Z", "task-stopped-exit-1");
    expect((await bed.runs.get(RUN_ID))!.state).toBe(RunState.RETRYING);
    expect((await bed.flowState.watermarkOf("orders-daily"))?.value).toBe("2026-03-01T10:00:00Z");
  });

  it("is left as it was when the run is cancelled after proposing", async () => {
    await launcher(fire());
    await recorder(ecsEvent("task-running"));
    await sink.propose({ runId: RUN_ID, attempt: 1, value: "2026-03-02T10:00:00Z", at: "2026-03-02T10:01:00.000Z" });
    await launcher({ kind: "cancel", flow: "orders-daily", runId: RUN_ID, requestedBy: "ana" });
    expect(await bed.flowState.watermarkOf("orders-daily")).toBeUndefined();
  });

  it("never takes a failed attempt's proposal when a later attempt succeeds without one", async () => {
    await launcher(fire());
    await attempt("2026-03-02T10:00:00Z", "task-stopped-exit-1");
    await launcher({ kind: "retry", flow: "orders-daily", runId: RUN_ID, attempt: 2 });
    await attempt(undefined, "task-stopped-exit-0", 2);
    expect((await bed.runs.get(RUN_ID))!).toMatchObject({ state: RunState.SUCCEEDED, attempt: 2 });
    expect(await bed.flowState.watermarkOf("orders-daily")).toBeUndefined();
  });

  it("reaches the next attempt's container as DATA_FLOWS_WATERMARK, and is recorded on its run", async () => {
    await bed.flowState.commitWatermark("orders-daily", {
      value: "2026-03-01T10:00:00Z",
      runId: "x",
      committedAt: "t",
    });
    await launcher(fire());
    const environment =
      ecs.commandCalls(RunTaskCommand)[0]!.args[0].input.overrides!.containerOverrides![0]!.environment!;
    expect(environment).toContainEqual({ name: "DATA_FLOWS_WATERMARK", value: "2026-03-01T10:00:00Z" });
    expect((await bed.runs.get(RUN_ID))!.watermarkAtStart).toBe("2026-03-01T10:00:00Z");
  });

  it("cannot be proposed for a run the launcher never recorded", async () => {
    await expect(
      sink.propose({ runId: "orders-daily/nope", attempt: 1, value: "v", at: "2026-03-02T10:01:00.000Z" }),
    ).rejects.toThrow(/is not in table/);
  });
});
