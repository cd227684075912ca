import { RunTaskCommand, StopTaskCommand } from "@aws-sdk/client-ecs";
import { defineRegistry } from "../../flows/registry/flow-registry";
import { RunState } from "../../contracts/run-states";
import { ecsEvent, FIXTURE_CLUSTER_ARN } from "../support/fixtures";
import { FIXTURE_TASK_ARN } from "../support/runs";
import { controlPlaneTestbed } from "../support/testbed";
import { ordersDaily } from "../support/flows";

const RUN_ID = "orders-daily/20260302T1000Z";
const registry = defineRegistry([ordersDaily({ retries: 2, overlap: "skip" })]);
const fire = { kind: "schedule", flow: "orders-daily", scheduledTime: "2026-03-02T10:00:00Z" };
const cancel = (reason?: string) => ({
  kind: "cancel",
  flow: "orders-daily",
  runId: RUN_ID,
  requestedBy: "ana",
  ...(reason && { reason }),
});

describe("cancelling a run", () => {
  const { ecs, bed } = controlPlaneTestbed(registry, "2026-03-02T10:05:00.000Z");
  const launcher = (event: unknown) => bed.launcher(event);
  const recorder = (event: unknown) => bed.recorder(event);

  async function runningRun() {
    await launcher(fire);
    await recorder(ecsEvent("task-running"));
    expect((await bed.runs.get(RUN_ID))!.state).toBe(RunState.RUNNING);
  }

  describe("a running run", () => {
    it("ends CANCELLED, with who asked and why in its history", async () => {
      await runningRun();
      expect(await launcher(cancel("loads the wrong day"))).toMatchObject({ status: "cancelled", state: "CANCELLED" });
      const run = (await bed.runs.get(RUN_ID))!;
      expect(run).toMatchObject({ state: RunState.CANCELLED, reason: "cancelled by ana: loads the wrong day" });
      expect(run.history.at(-1)).toMatchObject({
        state: RunState.CANCELLED,
        source: "cli",
        reason: "cancelled by ana: loads the wrong day",
      });
    });

    it("has its task stopped with ECS StopTask, naming the run's reason", async () => {
      await runningRun();
      await launcher(cancel());
      expect(ecs.commandCalls(StopTaskCommand).map((call) => call.args[0].input)).toEqual([
        { cluster: FIXTURE_CLUSTER_ARN, task: FIXTURE_TASK_ARN, reason: "data-flows: cancelled by ana" },
      ]);
    });

    /** ECS's STOPPED event for the cancelled task, once it has shut down (exit 143, UserInitiated). */
    const stoppedByCancel = () => {
      const stopped = ecsEvent("task-stopped-exit-1");
      stopped.detail.stopCode = "UserInitiated";
      stopped.detail.containers[0].exitCode = 143;
      return stopped;
    };

    it("holds its flow's overlap lock while its task shuts down, so the next fire does not start beside it", async () => {
      await runningRun();
      await launcher(cancel());
      const next = await launcher({ ...fire, scheduledTime: "2026-03-03T10:00:00Z" });
      expect(next).toMatchObject({ status: "skipped" });
      expect((await bed.runs.get("orders-daily/20260303T1000Z"))!.reason).toBe(
        `overlap: ${RUN_ID} is still stopping its task (CANCELLED)`,
      );
    });

    it("frees its flow's overlap lock once its task has stopped, so the next fire launches", async () => {
      await runningRun();
      await launcher(cancel());
      await recorder(stoppedByCancel());
      expect(await bed.runs.lockHolder("orders-daily")).toBeUndefined();
      const next = await launcher({ ...fire, scheduledTime: "2026-03-03T10:00:00Z" });
      expect(next).toMatchObject({ status: "launched" });
    });

    it("is announced once, as RUNNING → CANCELLED", async () => {
      await runningRun();
      await launcher(cancel());
      expect(bed.events.transitions.filter((move) => move.endsWith("CANCELLED"))).toEqual(["RUNNING->CANCELLED"]);
    });

    it("is never retried when its task's STOPPED event arrives (exit 143, UserInitiated)", async () => {
      await runningRun();
      await launcher(cancel());
      const stopped = ecsEvent("task-stopped-exit-1");
      stopped.detail.stopCode = "UserInitiated";
      stopped.detail.stoppedReason = "data-flows: cancelled by ana";
      stopped.detail.containers[0].exitCode = 143;
      expect(await recorder(stopped)).toMatchObject({ status: "ignored", reason: "terminal" });
      expect(bed.retries.scheduled).toEqual([]);
      expect((await bed.runs.get(RUN_ID))!.state).toBe(RunState.CANCELLED);
    });
  });

  it("withdraws a RETRYING run's next attempt, and a retry that fires all the same starts nothing", async () => {
    await runningRun();
    await recorder(ecsEvent("task-stopped-exit-1"));
    expect((await bed.runs.get(RUN_ID))!.state).toBe(RunState.RETRYING);

    await launcher(cancel());
    expect(bed.retries.cancelled).toEqual([{ kind: "retry", flow: "orders-daily", runId: RUN_ID, attempt: 2 }]);
    ecs.resetHistory();
    expect(await launcher({ kind: "retry", flow: "orders-daily", runId: RUN_ID, attempt: 2 })).toMatchObject({
      status: "duplicate",
      state: "CANCELLED",
    });
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
  });

  it("stops the task of a launch that was in flight when the run was cancelled", async () => {
    ecs.on(RunTaskCommand).callsFake(async () => {
      await launcher(cancel("wrong params")); // the operator is quicker than ECS
      return { tasks: [{ taskArn: FIXTURE_TASK_ARN }], failures: [] };
    });
    await launcher(fire);
    expect((await bed.runs.get(RUN_ID))!.state).toBe(RunState.CANCELLED);
    expect(ecs.commandCalls(StopTaskCommand).map((call) => call.args[0].input.task)).toEqual([FIXTURE_TASK_ARN]);
  });

  it("leaves a run that has ended as it is", async () => {
    await runningRun();
    await recorder(ecsEvent("task-stopped-exit-0"));
    ecs.resetHistory();
    expect(await launcher(cancel())).toMatchObject({ status: "already-ended", state: "SUCCEEDED" });
    expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
  });

  it("is refused for a run that does not exist, naming it", async () => {
    await expect(launcher(cancel())).rejects.toThrow(`no run ${RUN_ID}`);
  });

  it("is refused without the name of who asked", async () => {
    const { requestedBy: _, ...anonymous } = cancel();
    await expect(launcher(anonymous)).rejects.toThrow(/requestedBy/);
  });
});
