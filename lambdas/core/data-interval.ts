import type { FlowDefinition } from "../../flows/registry/flow-definition";
import { lastFireAtOrBefore, previousFireTime, scheduleSpecOf } from "../../flows/registry/schedule";

/**
 * The span of data a run is for, as Airflow's data interval or a Dagster partition: a run loads `[start, end)`,
 * whenever it actually runs (a retry after midnight, a backfill a month later).
 */
export interface DataInterval {
  start: string;
  end: string;
}

/**
 * The interval of a run for schedule slot `slot` (a scheduled fire or a backfill slot): from the schedule's previous
 * fire, in its timezone, to the slot. A flow without a schedule has an empty interval at the slot.
 */
export function intervalEndingAt(flow: Pick<FlowDefinition, "schedule">, slot: Date): DataInterval {
  if (!flow.schedule) return { start: slot.toISOString(), end: slot.toISOString() };
  const start = previousFireTime(scheduleSpecOf(flow.schedule), flow.schedule.timezone, slot);
  return { start: start.toISOString(), end: slot.toISOString() };
}

/**
 * The interval of a run asked for by hand as of `at`: the latest complete interval of the flow's schedule, which is
 * what its last scheduled run loaded (Airflow does the same for a manual trigger). Without a schedule: empty, at `at`.
 */
export function intervalAsOf(flow: Pick<FlowDefinition, "schedule">, at: Date): DataInterval {
  if (!flow.schedule) return { start: at.toISOString(), end: at.toISOString() };
  return intervalEndingAt(flow, lastFireAtOrBefore(scheduleSpecOf(flow.schedule), flow.schedule.timezone, at));
}
