import type { FlowRegistry } from "../../flows/registry/flow-registry";
import { UnknownFlowError } from "../../flows/registry/flow-registry";
import { scheduleSpecOf } from "../../flows/registry/schedule";
import type { BackfillSchedule, SlotSequence } from "./backfill-plan";
import {
  BACKFILL_LIMITS,
  backfillIdOf,
  backfillSlots,
  coversSlot,
  initialLanes,
  slotRunId,
  slotsOf,
} from "./backfill-plan";
import type { CancelOutcome, CancelRequest } from "./cancel-run";
import type { LaunchCommand } from "../../contracts/launch-commands";
import { InvalidLaunchRequestError } from "./launch-command";
import type { Backfill, BackfillStore, Clock, RunStore } from "./ports";
import type { Run } from "./run";
import { isTerminal } from "../../contracts/run-states";

/** The active backfills read when one is cancelled, to spare the runs the others still count on. */
const ACTIVE_BACKFILLS_READ = 100;

/** Start one slot's run (the launcher's own new-run path: idempotent on the slot's run id). */
export type LaunchSlot = (slot: {
  flow: string;
  scheduledTime: string;
  params: Record<string, string>;
  backfillId: string;
}) => Promise<{ status: string; run: Run; reason?: string }>;

export interface BackfillDeps {
  registry: FlowRegistry;
  runs: RunStore;
  backfills: BackfillStore;
  clock: Clock;
  launchSlot: LaunchSlot;
  cancelRun: (request: CancelRequest) => Promise<CancelOutcome>;
}

/** What `backfill` asks for: the launch command without its kind, its params already checked against the flow's. */
export type BackfillRequest = Omit<Extract<LaunchCommand, { kind: "backfill" }>, "kind">;

export type BackfillOutcome = {
  status: "backfill-created" | "backfill-exists" | "backfill-advanced" | "backfill-cancelled";
  backfill: Backfill;
  /** Runs this call started. */
  launched: string[];
};

/**
 * Backfills: `start` records one and launches its first `maxConcurrent` slots; `advance` moves every lane whose head
 * run has ended on to its next slot (called by the bus when a backfill run ends, and by the reaper each pass, so a lost
 * event only delays it); `cancel` stops it releasing slots and cancels its active runs. All three are idempotent.
 */
export function createBackfills(deps: BackfillDeps) {
  // A backfill's slots never change (its schedule is a snapshot): a warm launcher keeps what it computed.
  const known = new Map<string, SlotSequence>();
  const slotsOfBackfill = (backfill: Backfill): SlotSequence => {
    let slots = known.get(backfill.backfillId);
    if (!slots) {
      slots = slotsOf(backfill);
      known.set(backfill.backfillId, slots);
      if (known.size > 100) known.delete(known.keys().next().value!);
    }
    return slots;
  };

  /**
   * Moves every lane on as far as its runs have ended, one lane at a time, from one read of the backfill: each lane
   * move is a conditional write that answers with the backfill as it wrote it, which is what the next step (and the
   * DONE check) reads. A lane another delivery is moving is left to it; the reaper's pass moves on any it dropped.
   */
  async function advance(backfillId: string): Promise<BackfillOutcome> {
    const backfill = await deps.backfills.get(backfillId);
    if (!backfill) throw new InvalidLaunchRequestError(`no backfill ${backfillId}`);
    const launched: string[] = [];
    if (backfill.state !== "ACTIVE") return { status: "backfill-advanced", backfill, launched };
    let stored = backfill;
    for (let lane = 0; lane < backfill.lanes.length; lane += 1) {
      const step = await advanceLane(stored, lane, launched);
      if ("failed" in step) return end(stored, launched, step.failed);
      stored = step.stored;
    }
    if (launched.length > 0) {
      // A cancel may have come between a lane's move and its launch: it could not see those runs, so cancel them.
      const now = await deps.backfills.get(backfillId);
      if (now && now.state !== "ACTIVE") {
        await cancelLaunched(now, launched);
        return { status: "backfill-advanced", backfill: now, launched };
      }
    }
    if (stored.lanes.every((head) => head >= stored.slotCount)) {
      stored =
        (await deps.backfills.finish(backfillId, { state: "DONE", at: deps.clock.now().toISOString() })) ?? stored;
    }
    return { status: "backfill-advanced", backfill: stored, launched };
  }

  /**
   * Moves one lane's head past every slot whose run has ended, launching the slot's run when it has none, until it
   * reaches a run still going, the end of the range, or a move someone else made first. The backfill as last written
   * comes back, or why it cannot go on (a slot that cannot be launched).
   */
  async function advanceLane(
    backfill: Backfill,
    lane: number,
    launched: string[],
  ): Promise<{ stored: Backfill } | { failed: string }> {
    const slots = slotsOfBackfill(backfill);
    const step = backfill.lanes.length;
    let stored = backfill;
    for (let head = backfill.lanes[lane]!; head < backfill.slotCount; head += step) {
      let run = await deps.runs.get(slotRunId(backfill.flow, slots, head));
      if (!run) {
        const started = await launchSlot(backfill, slots.at(head)!);
        if ("failed" in started) return started;
        launched.push(started.run.runId);
        run = started.run;
      }
      if (!isTerminal(run.state)) break; // the lane moves on when this run ends
      const moved = await deps.backfills.advanceLane(backfill.backfillId, lane, head, head + step);
      if (!moved) break; // another delivery moved it first (or the backfill ended): it carries on from there
      stored = moved;
    }
    return { stored };
  }

  /** Starts one slot's run, or says why the backfill cannot go on. */
  async function launchSlot(backfill: Backfill, slot: Date): Promise<{ run: Run } | { failed: string }> {
    const scheduledTime = slot.toISOString();
    let started;
    try {
      started = await deps.launchSlot({
        flow: backfill.flow,
        scheduledTime,
        params: backfill.params,
        backfillId: backfill.backfillId,
      });
    } catch (error) {
      // The flow no longer takes this request (its params changed, it was removed): no retry will change that.
      if (!(error instanceof InvalidLaunchRequestError) && !(error instanceof UnknownFlowError)) throw error;
      return { failed: `slot ${scheduledTime} cannot be launched: ${error.message}` };
    }
    if (started.status === "launch-failed") {
      // ECS refused it (an inactive task definition, denied access): every later slot would meet the same.
      return { failed: `slot ${scheduledTime}: ${started.reason ?? "RunTask refused it"}` };
    }
    return { run: started.run };
  }

  /** Cancels the runs this call launched that are still going, for a backfill that ended meanwhile. */
  async function cancelLaunched(backfill: Backfill, launched: readonly string[]): Promise<void> {
    const runs = await Promise.all(launched.map((runId) => deps.runs.get(runId)));
    await cancelOwnRuns(backfill, runs, {
      requestedBy: "data-flows",
      reason: `backfill ${backfill.backfillId} ended ${backfill.state}`,
    });
  }

  /**
   * Cancels those of `runs` still going that this backfill started, and that no other active backfill of its flow
   * counts on: overlapping backfills share a slot's run, and one's cancel must not end the other's slots.
   */
  async function cancelOwnRuns(
    backfill: Backfill,
    runs: readonly (Run | undefined)[],
    cancel: { requestedBy: string; reason: string },
  ): Promise<void> {
    const own = runs.filter(
      (run): run is Run => run !== undefined && run.backfillId === backfill.backfillId && !isTerminal(run.state),
    );
    if (own.length === 0) return;
    const others = (await deps.backfills.listActive({ limit: ACTIVE_BACKFILLS_READ })).filter(
      (other) => other.flow === backfill.flow && other.backfillId !== backfill.backfillId,
    );
    for (const run of own) {
      const slot = new Date(run.scheduledFor!);
      if (others.some((other) => coversSlot(other, slot))) continue;
      await deps.cancelRun({ runId: run.runId, ...cancel });
    }
  }

  /** Ends the backfill FAILED with the reason; its runs already going carry on and end as they will. */
  async function end(backfill: Backfill, launched: string[], reason: string): Promise<BackfillOutcome> {
    const ended = await deps.backfills.finish(backfill.backfillId, {
      state: "FAILED",
      at: deps.clock.now().toISOString(),
      reason: reason.slice(0, 1000),
    });
    return { status: "backfill-advanced", backfill: ended ?? backfill, launched };
  }

  return {
    async start(request: BackfillRequest): Promise<BackfillOutcome> {
      const flow = deps.registry.require(request.flow);
      if (!flow.schedule) {
        throw new InvalidLaunchRequestError(`flow "${flow.name}" has no schedule: a backfill runs a schedule's slots`);
      }
      if (
        !Number.isInteger(request.maxConcurrent) ||
        request.maxConcurrent < 1 ||
        request.maxConcurrent > BACKFILL_LIMITS.maxConcurrent
      ) {
        throw new InvalidLaunchRequestError(`maxConcurrent: 1 to ${BACKFILL_LIMITS.maxConcurrent}`);
      }
      const from = new Date(request.from);
      const to = new Date(request.to);
      if (!(from.getTime() <= to.getTime())) throw new InvalidLaunchRequestError("from: must not be after to");
      const schedule: BackfillSchedule = { ...scheduleSpecOf(flow.schedule), timezone: flow.schedule.timezone };
      let slots: Date[];
      try {
        slots = backfillSlots(schedule, from, to);
      } catch (error) {
        throw new InvalidLaunchRequestError(`${flow.name}: ${(error as Error).message}`);
      }
      if (slots.length === 0) {
        throw new InvalidLaunchRequestError(
          `flow "${flow.name}" has no schedule slot from ${request.from} to ${request.to}`,
        );
      }
      const { created, backfill } = await deps.backfills.create({
        backfillId: backfillIdOf(flow.name, from, to),
        flow: flow.name,
        from: from.toISOString(),
        to: to.toISOString(),
        schedule,
        slotCount: slots.length,
        maxConcurrent: request.maxConcurrent,
        params: request.params,
        requestedBy: request.requestedBy,
        createdAt: deps.clock.now().toISOString(),
        state: "ACTIVE",
        lanes: initialLanes(slots.length, request.maxConcurrent),
      });
      // Asking again is also how an operator nudges a backfill on at once, instead of at the reaper's next pass.
      const advanced = await advance(backfill.backfillId);
      return { ...advanced, status: created ? "backfill-created" : "backfill-exists" };
    },

    advance,

    async cancel(request: { backfillId: string; requestedBy: string; reason?: string }): Promise<BackfillOutcome> {
      const existing = await deps.backfills.get(request.backfillId);
      if (!existing) throw new InvalidLaunchRequestError(`no backfill ${request.backfillId}`);
      const reason = `cancelled by ${request.requestedBy}${request.reason ? `: ${request.reason}` : ""}`;
      const backfill =
        (await deps.backfills.finish(request.backfillId, {
          state: "CANCELLED",
          at: deps.clock.now().toISOString(),
          reason,
        })) ?? existing;
      // No lane moves now; what is at the lanes' heads and still going is cancelled like any run, if it is this
      // backfill's own.
      const slots = slotsOfBackfill(backfill);
      const heads = backfill.lanes.filter((head) => head < backfill.slotCount);
      const runs = await Promise.all(heads.map((head) => deps.runs.get(slotRunId(backfill.flow, slots, head))));
      await cancelOwnRuns(backfill, runs, {
        requestedBy: request.requestedBy,
        reason: `backfill ${backfill.backfillId} cancelled${request.reason ? `: ${request.reason}` : ""}`,
      });
      return { status: "backfill-cancelled", backfill, launched: [] };
    },
  };
}
