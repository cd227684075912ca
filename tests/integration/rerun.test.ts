import { RunTaskCommand } from "@aws-sdk/client-ecs";
import * as z from "zod";
import { defineRegistry } from "../../flows/registry/flow-registry";
import { RunState } from "../../contracts/run-states";
import { ecsEvent } from "../support/fixtures";
import { controlPlaneTestbed } from "../support/testbed";
import { ordersDaily } from "../support/flows";

const RUN_ID = "orders-daily/20260302T1000Z";
const registry = defineRegistry([
  ordersDaily({ overlap: "allow", params: { window: z.enum(["1d", "7d"]).default("1d") } }),
]);

describe("re-running a run", () => {
  const { ecs, bed } = controlPlaneTestbed(registry, "2026-03-05T09:00:00.000Z");
  const rerun = { kind: "rerun", flow: "orders-daily", runId: RUN_ID, requestedBy: "ana" };

  async function failedRun() {
    bed.now = "2026-03-02T10:00:02.000Z";
    await bed.launcher({ kind: "schedule", flow: "orders-daily", scheduledTime: "2026-03-02T10:00:00Z" });
    await bed.recorder(ecsEvent("task-running"));
    await bed.recorder(ecsEvent("task-stopped-exit-1"));
    expect((await bed.runs.get(RUN_ID))!.state).toBe(RunState.FAILED);
    bed.now = "2026-03-05T09:00:00.000Z";
  }

  it("starts a new manual run of the same flow with the same params and data interval, linked to it", async () => {
    await failedRun();
    const result = await bed.launcher(rerun);
    expect(result).toMatchObject({
      status: "launched",
      runId: expect.stringMatching(/^orders-daily\/m20260305T0900Z-/),
    });
    const original = (await bed.runs.get(RUN_ID))!;
    expect((await bed.runs.get(result.runId as string))!).toMatchObject({
      trigger: "manual",
      rerunOf: RUN_ID,
      params: original.params,
      dataInterval: original.dataInterval,
      attempt: 1,
    });
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(2);
  });

  it("leaves the original as it ended", async () => {
    await failedRun();
    await bed.launcher(rerun);
    expect((await bed.runs.get(RUN_ID))!.state).toBe(RunState.FAILED);
    bed.now = "2026-03-05T09:00:00.000Z";
  });

  it("starts one run for one request id, however often it is sent", async () => {
    await failedRun();
    const first = await bed.launcher({ ...rerun, requestId: "abcdefghij" });
    bed.now = "2026-03-05T09:03:00.000Z"; // sent again minutes later (a retried invoke, a second click)
    const again = await bed.launcher({ ...rerun, requestId: "abcdefghij" });
    expect(again).toMatchObject({ status: "duplicate", runId: first.runId });
  });

  it("is refused for a run that does not exist", async () => {
    await expect(bed.launcher(rerun)).rejects.toThrow(`no run ${RUN_ID}`);
  });
});
