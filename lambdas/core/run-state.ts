import { RUN_STATES, RunState } from "../../contracts/run-states";

const ENDINGS = [RunState.SUCCEEDED, RunState.FAILED, RunState.TIMED_OUT, RunState.CANCELLED, RunState.LOST] as const;

/**
 * The moves a run may make. ECS can skip states (a task that fails to start goes straight to STOPPED), so every live
 * state may move to any later one; nothing moves backwards. RETRYING leads to the next attempt's PENDING.
 * A run is recorded SKIPPED when its overlap, lateness or pause policy refuses it; the one move to SKIPPED is a fire's
 * first attempt, PENDING with no task yet, whose flow was paused while the fire was being recorded.
 */
const NEXT: Readonly<Record<RunState, readonly RunState[]>> = {
  PENDING: [RunState.STARTING, RunState.RUNNING, RunState.RETRYING, ...ENDINGS, RunState.SKIPPED],
  STARTING: [RunState.RUNNING, RunState.RETRYING, ...ENDINGS],
  RUNNING: [RunState.RETRYING, ...ENDINGS],
  // A retry that never starts by its launch deadline ends FAILED; an operator may cancel it.
  RETRYING: [RunState.PENDING, RunState.FAILED, RunState.CANCELLED, RunState.LOST],
  SUCCEEDED: [],
  FAILED: [],
  TIMED_OUT: [],
  CANCELLED: [],
  LOST: [],
  SKIPPED: [],
};

export function canTransition(from: RunState, to: RunState): boolean {
  return NEXT[from].includes(to);
}

/**
 * The states a run may be in for a move to `to`: the condition of the store's conditional update. A move that a
 * task's observation makes (`byTask`) never starts from RETRYING: that attempt is over, so an echo of it (a stray
 * task's stop, a late event) must not end the run; only the next attempt, the launch deadline or an operator move it.
 */
export function predecessorsOf(to: RunState, options: { byTask?: boolean } = {}): RunState[] {
  return RUN_STATES.filter((from) => canTransition(from, to) && !(options.byTask && from === RunState.RETRYING));
}
