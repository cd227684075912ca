import { canTransition, predecessorsOf } from "../../lambdas/core/run-state";
import { isRunState, isTerminal, RUN_STATES, RunState } from "../../contracts/run-states";

const TERMINAL = [
  RunState.SUCCEEDED,
  RunState.FAILED,
  RunState.TIMED_OUT,
  RunState.CANCELLED,
  RunState.LOST,
  RunState.SKIPPED,
];
const LIVE = [RunState.PENDING, RunState.STARTING, RunState.RUNNING, RunState.RETRYING];

describe("run state machine", () => {
  it("treats exactly the six ending states as terminal", () => {
    expect(RUN_STATES.filter(isTerminal).sort()).toEqual([...TERMINAL].sort());
  });

  it.each(TERMINAL)("absorbs: nothing leaves %s", (from) => {
    expect(RUN_STATES.filter((to) => canTransition(from, to))).toEqual([]);
  });

  it.each([
    [RunState.PENDING, RunState.STARTING],
    [RunState.PENDING, RunState.RUNNING],
    [RunState.PENDING, RunState.FAILED],
    [RunState.STARTING, RunState.RUNNING],
    [RunState.STARTING, RunState.FAILED],
    [RunState.RUNNING, RunState.SUCCEEDED],
    [RunState.RUNNING, RunState.TIMED_OUT],
    [RunState.RUNNING, RunState.RETRYING],
    [RunState.RETRYING, RunState.PENDING],
    [RunState.RETRYING, RunState.FAILED],
    // A fire whose flow was paused while it was being recorded, before its task.
    [RunState.PENDING, RunState.SKIPPED],
  ])("allows %s -> %s", (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });

  it.each([
    [RunState.RUNNING, RunState.STARTING],
    [RunState.RUNNING, RunState.PENDING],
    [RunState.STARTING, RunState.PENDING],
    [RunState.RETRYING, RunState.SUCCEEDED],
    [RunState.STARTING, RunState.SKIPPED],
    [RunState.RETRYING, RunState.SKIPPED],
  ])("refuses %s -> %s (no move backwards, SKIPPED only before a first task)", (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it.each(LIVE)("never lets %s move to itself (a repeat is a duplicate, not a change)", (state) => {
    expect(canTransition(state, state)).toBe(false);
  });

  it("lists the predecessors the store's condition must allow", () => {
    expect(predecessorsOf(RunState.RUNNING)).toEqual([RunState.PENDING, RunState.STARTING]);
    expect(predecessorsOf(RunState.SUCCEEDED)).toEqual([RunState.PENDING, RunState.STARTING, RunState.RUNNING]);
    expect(predecessorsOf(RunState.SKIPPED)).toEqual([RunState.PENDING]);
  });

  it("recognises run states and nothing else", () => {
    expect(isRunState("RUNNING")).toBe(true);
    expect(isRunState("running")).toBe(false);
    expect(isRunState(3)).toBe(false);
  });
});
