import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { runItemKey } from "../../contracts/runs-table";
import type { DynamoRunStore } from "../../lambdas/adapters/dynamo-run-store";
import { WriteExpression } from "../../lambdas/adapters/write-expression";
import { ATTEMPT_FIELDS } from "../../lambdas/core/run";
import { RunState } from "../../contracts/run-states";
import type { TransitionRequest } from "../../lambdas/core/ports";
import { startDynalite } from "../support/dynalite";
import { FIXTURE_TASK_ARN, newRun } from "../support/runs";

type Dynalite = Awaited<ReturnType<typeof startDynalite>>;

describe("DynamoRunStore on dynalite", () => {
  let dynamo: Dynalite;
  let store: DynamoRunStore;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(() => dynamo.close());

  beforeEach(async () => {
    store = await dynamo.freshRunStore();
  });

  const event = (
    to: TransitionRequest["to"],
    version: number,
    extra: Partial<TransitionRequest> = {},
  ): TransitionRequest => ({
    runId: "orders-daily/20260302T1000Z",
    attempt: 1,
    to,
    at: `2026-03-02T10:12:${String(version).padStart(2, "0")}.000Z`,
    source: "recorder",
    task: { taskArn: FIXTURE_TASK_ARN, version },
    ...extra,
  });

  describe("creating runs", () => {
    it("records a new run with its first history entry", async () => {
      const result = await store.create(newRun());
      expect(result.created).toBe(true);
      expect(await store.get("orders-daily/20260302T1000Z")).toMatchObject({
        state: RunState.PENDING,
        attempt: 1,
        history: [{ state: RunState.PENDING, attempt: 1, source: "launcher" }],
      });
    });

    it("creates nothing on a duplicate and returns the run that exists", async () => {
      await store.create(newRun());
      await store.transition(event(RunState.RUNNING, 3));
      const duplicate = await store.create(newRun({ params: { changed: "yes" } }));
      expect(duplicate).toMatchObject({ created: false, run: { state: RunState.RUNNING, params: {} } });
    });

    it("keeps internal key attributes out of the returned run", async () => {
      await store.create(newRun());
      const run = await store.get("orders-daily/20260302T1000Z");
      expect(Object.keys(run ?? {})).not.toEqual(expect.arrayContaining(["pk", "sk", "flowPk", "expiresAt"]));
    });

    it("answers undefined for a run that does not exist", async () => {
      expect(await store.get("orders-daily/19990101T0000Z")).toBeUndefined();
    });
  });

  describe("transitions", () => {
    beforeEach(() => store.create(newRun()));

    it("applies an allowed change and appends it to the history", async () => {
      const result = await store.transition(event(RunState.RUNNING, 3));
      expect(result).toMatchObject({
        applied: true,
        from: RunState.PENDING,
        run: { state: RunState.RUNNING, taskVersion: 3 },
      });
      expect(result.run?.history.map((entry) => entry.state)).toEqual([RunState.PENDING, RunState.RUNNING]);
    });

    it("ignores a duplicate event (same version)", async () => {
      await store.transition(event(RunState.STARTING, 1));
      const duplicate = await store.transition(event(RunState.STARTING, 1));
      expect(duplicate).toMatchObject({ applied: false, reason: "duplicate" });
      expect((await store.get("orders-daily/20260302T1000Z"))?.history).toHaveLength(2);
    });

    it("ignores a stale event (lower version) even when the move would be allowed", async () => {
      await store.transition(event(RunState.STARTING, 4));
      const stale = await store.transition(event(RunState.RUNNING, 3));
      expect(stale).toMatchObject({ applied: false, reason: "stale" });
    });

    it("accepts STOPPED before RUNNING, then ignores the late RUNNING", async () => {
      await store.transition(event(RunState.FAILED, 6, { fields: { exitCode: 1 } }));
      const late = await store.transition(event(RunState.RUNNING, 3));
      expect(late).toMatchObject({ applied: false, reason: "terminal" });
      expect(await store.get("orders-daily/20260302T1000Z")).toMatchObject({ state: RunState.FAILED, exitCode: 1 });
    });

    it("lets nothing move a run out of a terminal state, even with a newer version", async () => {
      await store.transition(event(RunState.SUCCEEDED, 6));
      const later = await store.transition(event(RunState.FAILED, 9));
      expect(later).toMatchObject({ applied: false, reason: "terminal", run: { state: RunState.SUCCEEDED } });
    });

    it("ignores events from another task of the same run", async () => {
      await store.transition(event(RunState.STARTING, 1));
      const other = await store.transition(
        event(RunState.RUNNING, 3, { task: { taskArn: `${FIXTURE_TASK_ARN}ff`, version: 3 } }),
      );
      expect(other).toMatchObject({ applied: false, reason: "other-task" });
    });

    it("ignores events for another attempt", async () => {
      const other = await store.transition(event(RunState.RUNNING, 3, { attempt: 2 }));
      expect(other).toMatchObject({ applied: false, reason: "other-attempt" });
    });

    it("reports an unknown run without creating it", async () => {
      const unknown = await store.transition(event(RunState.RUNNING, 3, { runId: "orders-daily/19990101T0000Z" }));
      expect(unknown).toEqual({ applied: false, reason: "unknown-run" });
      expect(await store.get("orders-daily/19990101T0000Z")).toBeUndefined();
    });

    it("lets the first of two concurrent writers win and the other see why", async () => {
      const results = await Promise.all([
        store.transition(event(RunState.RUNNING, 3)),
        store.transition(event(RunState.RUNNING, 3)),
      ]);
      expect(results.filter((result) => result.applied)).toHaveLength(1);
      expect((await store.get("orders-daily/20260302T1000Z"))?.history).toHaveLength(2);
    });

    it("records exit code, stop code and reason on the run and in its history", async () => {
      const fields = {
        exitCode: 1,
        stopCode: "EssentialContainerExited",
        reason: "Essential container in task exited",
      };
      const result = await store.transition(event(RunState.FAILED, 6, { fields }));
      expect(result.run).toMatchObject({ ...fields, taskArn: FIXTURE_TASK_ARN });
      expect(result.run?.history.at(-1)).toMatchObject({
        state: RunState.FAILED,
        exitCode: 1,
        stopCode: "EssentialContainerExited",
        taskVersion: 6,
      });
    });
  });

  describe("moving to the next attempt", () => {
    const runId = "orders-daily/20260302T1000Z";

    beforeEach(async () => {
      await store.create(newRun({ maxAttempts: 2 }));
      await store.transition(event(RunState.RUNNING, 3));
      await store.transition(event(RunState.RETRYING, 4, { fields: { exitCode: 1, reason: "boom" } }));
      // Whatever else the attempt could have left on its run (launch errors, re-drives, its watermark proposal, …).
      const leftovers = new WriteExpression();
      for (const field of Object.keys(ATTEMPT_FIELDS)) leftovers.set(field, `left by attempt 1`);
      await dynamo.client.send(
        new UpdateCommand({ TableName: store.tableName, Key: runItemKey(runId), ...leftovers.build() }),
      );
    });

    const next = () =>
      store.transition({
        runId,
        attempt: 1,
        to: RunState.PENDING,
        at: "2026-03-02T10:20:00.000Z",
        source: "launcher",
        nextAttempt: { deadline: "2026-03-02T11:20:00.000Z" },
      });

    it("clears every field the last attempt left", async () => {
      const moved = await next();
      expect(moved.applied).toBe(true);
      expect(Object.keys((await store.get(runId))!).filter((field) => field in ATTEMPT_FIELDS)).toEqual([]);
    });

    it("starts the next attempt with its own deadline", async () => {
      await next();
      expect(await store.get(runId)).toMatchObject({
        state: RunState.PENDING,
        attempt: 2,
        deadline: "2026-03-02T11:20:00.000Z",
      });
    });
  });

  describe("listing a flow's runs", () => {
    it("returns the newest first, up to the limit", async () => {
      for (const hour of ["08", "09", "10"]) {
        await store.create(
          newRun({ runId: `orders-daily/20260302T${hour}00Z`, createdAt: `2026-03-02T${hour}:00:01.000Z` }),
        );
      }
      await store.create(
        newRun({ runId: "other/20260302T1100Z", flow: "other", createdAt: "2026-03-02T11:00:01.000Z" }),
      );
      const runs = await store.listByFlow("orders-daily", { limit: 2 });
      expect(runs.map((run) => run.runId)).toEqual(["orders-daily/20260302T1000Z", "orders-daily/20260302T0900Z"]);
    });

    describe("by time, trigger and page", () => {
      const ids = (runs: { runId: string }[]) => runs.map((run) => run.runId.slice(-5));
      beforeEach(async () => {
        for (const [hour, trigger] of [
          ["06", "schedule"],
          ["07", "manual"],
          ["08", "backfill"],
          ["09", "schedule"],
          ["10", "backfill"],
        ] as const) {
          await store.create(
            newRun({ runId: `orders-daily/20260302T${hour}00Z`, trigger, createdAt: `2026-03-02T${hour}:00:01.000Z` }),
          );
        }
      });

      it("keeps those created since an instant", async () => {
        expect(ids(await store.listByFlow("orders-daily", { limit: 10, since: "2026-03-02T08:00:00.000Z" }))).toEqual([
          "1000Z",
          "0900Z",
          "0800Z",
        ]);
      });

      it("keeps one trigger, reading on past the filtered-out items to fill the page", async () => {
        expect(ids(await store.listByFlow("orders-daily", { limit: 2, trigger: "backfill" }))).toEqual([
          "1000Z",
          "0800Z",
        ]);
      });

      it("pages back from a cursor (exclusive), combined with since", async () => {
        const first = await store.listByFlow("orders-daily", { limit: 2 });
        const last = first.at(-1)!;
        const next = await store.listByFlow("orders-daily", {
          limit: 2,
          before: `${last.createdAt}#${last.runId}`,
          since: "2026-03-02T07:00:00.000Z",
        });
        expect([...ids(first), ...ids(next)]).toEqual(["1000Z", "0900Z", "0800Z", "0700Z"]);
      });
    });
  });
});
