import { RunTaskCommand, StopTaskCommand } from "@aws-sdk/client-ecs";
import { defineRegistry } from "../../flows/registry/flow-registry";
import { RunState } from "../../contracts/run-states";
import { ecsEvent } from "../support/fixtures";
import { ordersDaily, testFlow } from "../support/flows";
import { FIXTURE_TASK_ARN } from "../support/runs";
import { controlPlaneTestbed } from "../support/testbed";

/**
 * Races between an operator's commands and the control plane's own work, each reproduced at the interleaving that
 * broke it: a write's follow-up work must come from the row it wrote, not from what was read before.
 */
const RUN_ID = "orders-daily/20260302T1000Z";
const registry = defineRegistry([
  ordersDaily({ retries: 2, overlap: "allow", schedule: { cron: "0 10 * * *" } }),
  testFlow("adhoc"),
]);
const fire = { kind: "schedule", flow: "orders-daily", scheduledTime: "2026-03-02T10:00:00Z" };
const redrive = { kind: "redrive", flow: "orders-daily", runId: RUN_ID };
const throttled = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
const noCapacity = {
  tasks: [],
  failures: [
    {
      arn: "arn:aws:ecs:eu-west-1:111122223333:cluster/data-flows-dev",
      reason: "Capacity is unavailable at this time",
    },
  ],
};

describe("operator commands racing the control plane", () => {
  const { ecs, bed } = controlPlaneTestbed(registry, "2026-03-02T10:05:00.000Z");

  /** A fire whose first RunTask was throttled: PENDING with no task, to be re-driven. */
  async function strandedRun() {
    ecs.on(RunTaskCommand).rejectsOnce(throttled);
    await expect(bed.launcher(fire)).rejects.toThrow("Rate exceeded");
    expect((await bed.runs.get(RUN_ID))!).toMatchObject({ state: RunState.PENDING });
  }

  it("a cancel that read the run just before the launcher recorded its task still stops that task", async () => {
    await strandedRun();
    const get = bed.runs.get.bind(bed.runs);
    jest.spyOn(bed.runs, "get").mockImplementationOnce(async (runId) => {
      const read = await get(runId);
      // Between the cancel's read and its write, a re-drive's RunTask answers and the launcher records the task.
      await bed.runs.transition({
        runId,
        attempt: 1,
        to: RunState.STARTING,
        at: bed.now,
        source: "launcher",
        task: { taskArn: FIXTURE_TASK_ARN, version: 0 },
      });
      return read;
    });
    await bed.launcher({ kind: "cancel", flow: "orders-daily", runId: RUN_ID, requestedBy: "ana" });
    expect((await bed.runs.get(RUN_ID))!).toMatchObject({ state: RunState.CANCELLED, taskArn: FIXTURE_TASK_ARN });
    expect(ecs.commandCalls(StopTaskCommand).map((call) => call.args[0].input.task)).toEqual([FIXTURE_TASK_ARN]);
  });

  it("a launch that found no capacity leaves alone the attempt a concurrent launch started", async () => {
    await strandedRun();
    let calls = 0;
    ecs.on(RunTaskCommand).callsFake(async () => {
      calls += 1;
      if (calls === 1) {
        // While this launch waits for ECS, a concurrent one (a platform retry beside the re-drive) starts the task.
        await bed.launcher(redrive);
        return noCapacity;
      }
      return { tasks: [{ taskArn: FIXTURE_TASK_ARN }], failures: [] };
    });
    expect(await bed.launcher(redrive)).toMatchObject({ status: "duplicate", state: RunState.STARTING });
    expect((await bed.runs.get(RUN_ID))!).toMatchObject({
      state: RunState.STARTING,
      attempt: 1,
      taskArn: FIXTURE_TASK_ARN,
    });
    expect(bed.retries.scheduled).toEqual([]);
    // The task is the attempt's own: its events move the run, and it is never a stray to stop.
    expect(await bed.recorder(ecsEvent("task-running"))).toMatchObject({ status: "applied", to: RunState.RUNNING });
    expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
  });

  it("a failed attempt whose announcement failed is retried once the announcement is redelivered", async () => {
    await bed.launcher(fire);
    await bed.recorder(ecsEvent("task-running"));
    const publish = bed.events.publish.bind(bed.events);
    jest.spyOn(bed.events, "publish").mockImplementationOnce(async () => {
      throw new Error("PutEvents: InternalFailure");
    });
    await expect(bed.recorder(ecsEvent("task-stopped-exit-1"))).rejects.toThrow("InternalFailure");
    expect((await bed.runs.get(RUN_ID))!.state).toBe(RunState.RETRYING);
    jest.mocked(bed.events.publish).mockImplementation(publish);
    await bed.recorder(ecsEvent("task-stopped-exit-1"));
    // Scheduling is idempotent (one schedule per run and attempt): what matters is that it was asked for.
    const asked = new Set(bed.retries.scheduled.map((retry) => JSON.stringify(retry)));
    expect([...asked].map((retry) => JSON.parse(retry) as unknown)).toEqual([
      { kind: "retry", flow: "orders-daily", runId: RUN_ID, attempt: 2, at: "2026-03-02T10:06:00.000Z" },
    ]);
  });

  it("a cancel of a failed attempt whose announcement is still owed announces the failure first", async () => {
    await bed.launcher(fire);
    await bed.recorder(ecsEvent("task-running"));
    jest.spyOn(bed.events, "publish").mockImplementationOnce(async () => {
      throw new Error("PutEvents: InternalFailure");
    });
    await expect(bed.recorder(ecsEvent("task-stopped-exit-1"))).rejects.toThrow("InternalFailure");
    await bed.launcher({ kind: "cancel", flow: "orders-daily", runId: RUN_ID, requestedBy: "ana" });
    expect(bed.events.transitions.slice(-2)).toEqual(["RUNNING->RETRYING", "RETRYING->CANCELLED"]);
  });

  it("a manual request resent with its request id a second later answers the run the first one started", async () => {
    const request = { kind: "manual", flow: "adhoc", params: {}, requestId: "k3y0f1rst0" };
    const first = await bed.launcher(request);
    bed.now = new Date(Date.parse(bed.now) + 1000).toISOString();
    const again = await bed.launcher(request);
    expect(again).toMatchObject({ status: "duplicate", runId: first.runId });
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(1);
  });
});
