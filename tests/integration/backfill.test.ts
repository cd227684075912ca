import { ClientException, RunTaskCommand } from "@aws-sdk/client-ecs";
import fc from "fast-check";
import * as z from "zod";
import { defineRegistry } from "../../flows/registry/flow-registry";
import type { Run } from "../../lambdas/core/run";
import { isTerminal, RunState } from "../../contracts/run-states";
import { FIXTURE_TASK_ARN } from "../support/runs";
import { composeForTest, fixtureEcsPorts } from "../support/control-plane";
import { controlPlaneTestbed } from "../support/testbed";
import { ordersDaily, testFlow } from "../support/flows";

const registry = defineRegistry([
  ordersDaily({
    schedule: { cron: "0 6 * * *", timezone: "Europe/London" },
    overlap: "skip",
    retries: 0,
    params: { window: z.enum(["1d", "7d"]).default("1d") },
  }),
  testFlow("adhoc"),
]);
const TEN_DAYS = {
  kind: "backfill",
  flow: "orders-daily",
  from: "2026-03-01T00:00:00.000Z",
  to: "2026-03-10T23:59:59.999Z",
  maxConcurrent: 3,
  params: {},
  requestedBy: "ana",
};
const BACKFILL_ID = "orders-daily/20260301T000000Z-20260310T235959Z";

describe("a backfill", () => {
  const { ecs, bed, reset } = controlPlaneTestbed(registry, "2026-03-20T12:00:00.000Z");
  let tasks: number;
  const countTasks = () => {
    tasks = 0;
    ecs.on(RunTaskCommand).callsFake(async () => ({ tasks: [{ taskArn: `${FIXTURE_TASK_ARN}${++tasks}` }] }));
  };
  beforeEach(countTasks);

  const backfillRuns = async () =>
    (await bed.runs.listByFlow("orders-daily", { limit: 100 })).filter((run) => run.backfillId);
  const active = async () => (await backfillRuns()).filter((run) => !isTerminal(run.state));

  /** Ends a run as its STOPPED event would, and delivers the run change the bus routes to the launcher. */
  async function end(run: Run, to: RunState, deliveries = 1) {
    const ended = await bed.runs.transition({
      runId: run.runId,
      attempt: run.attempt,
      to,
      at: bed.now,
      source: "recorder",
      task: { taskArn: run.taskArn!, version: 9 },
      fields: { exitCode: to === RunState.SUCCEEDED ? 0 : 1, endedAt: bed.now },
    });
    expect(ended.applied).toBe(true);
    const change = {
      "detail-type": "Flow Run State Change",
      source: "data-flows",
      detail: {
        runId: run.runId,
        flow: run.flow,
        trigger: "backfill",
        from: run.state,
        to,
        attempt: 1,
        maxAttempts: 1,
        at: bed.now,
      },
    };
    for (let delivery = 0; delivery < deliveries; delivery += 1) await bed.launcher(change);
  }

  it("starts one run per schedule slot, its first max-concurrent slots at once", async () => {
    const result = await bed.launcher(TEN_DAYS);
    expect(result).toMatchObject({ status: "backfill-created", backfill: { backfillId: BACKFILL_ID, slotCount: 10 } });
    expect((result.runs as string[]).sort()).toEqual([
      "orders-daily/b20260301T0600Z",
      "orders-daily/b20260302T0600Z",
      "orders-daily/b20260303T0600Z",
    ]);
  });

  it("gives each slot the data interval of its scheduled fire, in the flow's timezone", async () => {
    await bed.launcher(TEN_DAYS);
    expect((await bed.runs.get("orders-daily/b20260302T0600Z"))!).toMatchObject({
      trigger: "backfill",
      backfillId: BACKFILL_ID,
      dataInterval: { start: "2026-03-01T06:00:00.000Z", end: "2026-03-02T06:00:00.000Z" },
    });
  });

  it("runs its slots side by side even for an overlap: skip flow (its lanes, not the lock, hold it back)", async () => {
    await bed.launcher(TEN_DAYS);
    expect((await active()).map((run) => run.state)).toEqual([RunState.STARTING, RunState.STARTING, RunState.STARTING]);
  });

  it("starts the next slot when one ends, and ends DONE when every slot has", async () => {
    await bed.launcher(TEN_DAYS);
    for (let ended = 0; ended < 10; ended += 1) {
      const [next] = await active();
      await end(next!, ended === 4 ? RunState.FAILED : RunState.SUCCEEDED);
    }
    expect(await active()).toEqual([]);
    expect((await backfillRuns()).length).toBe(10);
    expect(tasks).toBe(10);
    expect((await bed.launcher({ kind: "backfill-advance", backfillId: BACKFILL_ID })).backfill).toMatchObject({
      state: "DONE",
    });
  });

  it("never has more than max-concurrent active and launches every slot once, whatever order, duplication or loss of endings", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ pick: fc.nat(), deliveries: fc.integer({ min: 0, max: 2 }), fail: fc.boolean() }), {
          minLength: 10,
          maxLength: 10,
        }),
        async (steps) => {
          // Each history on its own table.
          await reset();
          countTasks();
          await bed.launcher(TEN_DAYS);
          for (const step of steps) {
            const running = await active();
            expect(running.length).toBeLessThanOrEqual(3);
            if (!running.length) break;
            await end(
              running[step.pick % running.length]!,
              step.fail ? RunState.FAILED : RunState.SUCCEEDED,
              step.deliveries,
            );
            // A lost ending (0 deliveries) is made good by the reaper's nudge.
            if (step.deliveries === 0) await bed.launcher({ kind: "backfill-advance", backfillId: BACKFILL_ID });
            expect((await active()).length).toBeLessThanOrEqual(3);
          }
          const all = await backfillRuns();
          expect(new Set(all.map((run) => run.runId)).size).toBe(all.length);
          expect(all.length).toBe(10);
          expect(tasks).toBe(10);
        },
      ),
      { numRuns: 6, seed: 1203 },
    );
  });

  it("launches nothing new when asked again for the same range", async () => {
    await bed.launcher(TEN_DAYS);
    const again = await bed.launcher({ ...TEN_DAYS, maxConcurrent: 5 });
    expect(again).toMatchObject({ status: "backfill-exists", runs: [], backfill: { maxConcurrent: 3 } });
    expect(tasks).toBe(3);
  });

  it("takes slots another backfill already ran as done, without running them again", async () => {
    await bed.launcher({ ...TEN_DAYS, to: "2026-03-02T23:59:59.999Z", maxConcurrent: 2 });
    for (const run of await active()) await end(run, RunState.SUCCEEDED);
    const wider = await bed.launcher({ ...TEN_DAYS, maxConcurrent: 2 });
    expect((wider.runs as string[]).sort()).toEqual(["orders-daily/b20260303T0600Z", "orders-daily/b20260304T0600Z"]);
  });

  it("ends FAILED at the first slot ECS refuses, instead of failing every slot after it", async () => {
    ecs.on(RunTaskCommand).rejects(new ClientException({ message: "TaskDefinition is inactive", $metadata: {} }));
    const result = await bed.launcher(TEN_DAYS);
    expect(result.backfill).toMatchObject({
      state: "FAILED",
      reason: expect.stringContaining("TaskDefinition is inactive"),
    });
    expect((await backfillRuns()).length).toBe(1);
  });

  it("cancels a slot launched after the backfill was cancelled (a cancel racing an advance)", async () => {
    await bed.launcher({ ...TEN_DAYS, maxConcurrent: 1 });
    const [first] = await active();
    // The advance moves the lane, then a cancel lands before its launch: the cancel sees no run at the new head.
    ecs.on(RunTaskCommand).callsFake(async () => {
      await bed.launcher({ kind: "backfill-cancel", backfillId: BACKFILL_ID, requestedBy: "ben" });
      return { tasks: [{ taskArn: `${FIXTURE_TASK_ARN}${++tasks}` }] };
    });
    await end(first!, RunState.SUCCEEDED);
    expect(await active()).toEqual([]);
    const second = (await bed.runs.get("orders-daily/b20260302T0600Z"))!;
    expect(second).toMatchObject({ state: RunState.CANCELLED });
  });

  describe("cancelled, beside another backfill of the same slots", () => {
    const FIRST_FIVE = { ...TEN_DAYS, to: "2026-03-05T23:59:59.999Z", maxConcurrent: 10 };
    const FROM_THE_THIRD = { ...TEN_DAYS, from: "2026-03-03T00:00:00.000Z", maxConcurrent: 10 };
    const cancelOf = (backfillId: string) => ({ kind: "backfill-cancel", backfillId, requestedBy: "ben" });
    const stateOf = async (day: string) => (await bed.runs.get(`orders-daily/b202603${day}T0600Z`))!.state;

    it("leaves the runs the other backfill started alone", async () => {
      const first = await bed.launcher(FIRST_FIVE);
      const second = await bed.launcher(FROM_THE_THIRD);
      await bed.launcher(cancelOf((second.backfill as { backfillId: string }).backfillId));
      expect(await stateOf("03")).toBe(RunState.STARTING); // the first backfill's run, which the second shared
      expect(await stateOf("06")).toBe(RunState.CANCELLED); // the second's own
      expect(first.backfill).toMatchObject({ state: "ACTIVE" });
    });

    it("leaves its own runs alone while another active backfill counts on them", async () => {
      const second = await bed.launcher(FROM_THE_THIRD);
      await bed.launcher(FIRST_FIVE);
      await bed.launcher(cancelOf((second.backfill as { backfillId: string }).backfillId));
      expect(await stateOf("03")).toBe(RunState.STARTING); // the second's run, still a slot of the first
      expect(await stateOf("06")).toBe(RunState.CANCELLED);
    });
  });

  describe("cancelled", () => {
    it("cancels its active runs and starts no more", async () => {
      await bed.launcher(TEN_DAYS);
      const result = await bed.launcher({
        kind: "backfill-cancel",
        backfillId: BACKFILL_ID,
        requestedBy: "ben",
        reason: "wrong window",
      });
      expect(result).toMatchObject({
        status: "backfill-cancelled",
        backfill: { state: "CANCELLED", reason: "cancelled by ben: wrong window" },
      });
      const runs = await backfillRuns();
      expect(runs.map((run) => run.state)).toEqual([RunState.CANCELLED, RunState.CANCELLED, RunState.CANCELLED]);
      expect(runs[0]!.reason).toBe(`cancelled by ben: backfill ${BACKFILL_ID} cancelled: wrong window`);
      await bed.launcher({ kind: "backfill-advance", backfillId: BACKFILL_ID });
      expect(tasks).toBe(3);
    });
  });

  describe("refused", () => {
    it.each([
      ["for a flow without a schedule", { flow: "adhoc" }, 'flow "adhoc" has no schedule'],
      [
        "for a range without a slot",
        { from: "2026-03-01T07:00:00Z", to: "2026-03-01T08:00:00Z" },
        "has no schedule slot",
      ],
      [
        "for a range that ends before it starts",
        { from: "2026-03-10T00:00:00Z", to: "2026-03-01T00:00:00Z" },
        "from: must not be after to",
      ],
      [
        "for more than 10,000 slots",
        { from: "1990-01-01T00:00:00Z", to: "2026-03-01T00:00:00Z" },
        "more than 10,000 slots",
      ],
      [
        "with a param the flow does not take",
        { params: { windw: "7d" } },
        'param "windw": unknown param (did you mean "window"?)',
      ],
      ["with more than 50 at a time", { maxConcurrent: 51 }, "maxConcurrent"],
    ])("%s, recording nothing", async (_, change, message) => {
      await expect(bed.launcher({ ...TEN_DAYS, ...change })).rejects.toThrow(message);
      expect(await bed.runs.listByFlow("orders-daily", { limit: 5 })).toEqual([]);
      expect(tasks).toBe(0);
    });
  });

  it("is nudged by the reaper while it is active, and not once it is done", async () => {
    await bed.launcher({ ...TEN_DAYS, to: "2026-03-01T23:59:59.999Z" });
    const nudged: unknown[] = [];
    const reaper = composeForTest({
      registry,
      runs: bed.runs,
      ...fixtureEcsPorts(),
      events: bed.events,
      retries: bed.retries,
      launches: { send: async (command) => void nudged.push(command) },
      clock: { now: () => new Date(bed.now) },
    }).reaper();
    await reaper(undefined);
    expect(nudged).toEqual([
      { kind: "backfill-advance", backfillId: "orders-daily/20260301T000000Z-20260301T235959Z" },
    ]);
    await end((await active())[0]!, RunState.SUCCEEDED);
    nudged.length = 0;
    await reaper(undefined);
    expect(nudged).toEqual([]);
  });
});
