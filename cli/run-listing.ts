import { byFlowSortKey } from "../contracts/runs-table";
import type { FlowRegistry } from "../flows/registry/flow-registry";
import type { RunStore } from "../lambdas/core/ports";
import type { Run } from "../lambdas/core/run";
import type { Trigger, RunState } from "../contracts/run-states";

export interface RunFilter {
  flow?: string;
  state?: RunState;
  trigger?: Trigger;
  /** ISO instant: only runs created since. */
  since?: string;
  /** A page cursor: only runs older than this one (keyset paging). */
  before?: string;
  limit: number;
}

/**
 * One page of runs across the flows asked for, newest first, and the cursor of the page after it (older runs), as
 * `runs` and the run-history page list them. Each flow's index is read for one more than a page, which says whether
 * another page follows.
 */
export async function listRuns(
  runs: RunStore,
  registry: FlowRegistry,
  filter: RunFilter,
): Promise<{ runs: Run[]; next?: string }> {
  const flows = filter.flow ? [registry.require(filter.flow).name] : registry.names;
  const options = {
    limit: filter.limit + 1,
    ...(filter.state && { state: filter.state }),
    ...(filter.trigger && { trigger: filter.trigger }),
    ...(filter.since && { since: filter.since }),
    ...(filter.before && { before: filter.before }),
  };
  const perFlow = await Promise.all(flows.map((flow) => runs.listByFlow(flow, options)));
  const sorted = perFlow
    .flat()
    .sort((a, b) => byFlowSortKey(b.createdAt, b.runId).localeCompare(byFlowSortKey(a.createdAt, a.runId)));
  const page = sorted.slice(0, filter.limit);
  const last = page.at(-1);
  return {
    runs: page,
    ...(sorted.length > filter.limit && last && { next: byFlowSortKey(last.createdAt, last.runId) }),
  };
}
