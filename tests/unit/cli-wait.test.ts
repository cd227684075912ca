import { connectLocal } from "../../cli/local-target";
import { defineRegistry } from "../../flows/registry/flow-registry";
import type { RunStore } from "../../lambdas/core/ports";
import type { Run, RunTransition } from "../../lambdas/core/run";
import type { RunState } from "../../contracts/run-states";
import { runCliCapturing } from "../support/cli";
import { memoryFlowState } from "../support/memory-flow-state";

jest.mock("../../cli/local-target", () => ({
  ...jest.requireActual<object>("../../cli/local-target"),
  connectLocal: jest.fn(),
}));

const registry = defineRegistry([
  { name: "slow-retries", description: "d", owner: "@o", timeoutMinutes: 5, retries: 2 },
]);
const RUN_ID = "slow-retries/m20260302T100000Z-abc123";
const START = Date.parse("2026-03-02T10:00:00Z");
const at = (minutes: number) => new Date(START + minutes * 60_000).toISOString();

/** A step of a scripted run: from `minute` on, the run is in `state` (on `attempt`), with these fields. */
interface Step {
  minute: number;
  state: RunState;
  attempt: number;
  retryAt?: number;
  exitCode?: number;
}

/**
 * A run store whose one run follows a script on the CLI's own (fake) clock, so a follower can be driven through an
 * hour of retries in milliseconds.
 */
function scriptedRun(steps: Step[], clock: () => number, timeoutMinutes = 5): RunStore {
  return {
    async get(runId: string): Promise<Run | undefined> {
      if (runId !== RUN_ID) return undefined;
      const minute = (clock() - START) / 60_000;
      const seen = steps.filter((step) => step.minute <= minute);
      const last = seen.at(-1)!;
      const attemptStart = seen.find((step) => step.attempt === last.attempt)!.minute;
      const history: RunTransition[] = seen.map((step) => ({
        at: at(step.minute),
        state: step.state,
        attempt: step.attempt,
        source: "recorder",
        ...(step.exitCode !== undefined && { exitCode: step.exitCode }),
      }));
      return {
        runId: RUN_ID,
        flow: "slow-retries",
        trigger: "manual",
        params: {},
        state: last.state,
        attempt: last.attempt,
        maxAttempts: 3,
        createdAt: at(0),
        updatedAt: at(last.minute),
        deadline: at(attemptStart + timeoutMinutes),
        ...(last.retryAt !== undefined && { retryAt: at(last.retryAt) }),
        ...(last.exitCode !== undefined && { exitCode: last.exitCode }),
        history,
      } as unknown as Run;
    },
  } as unknown as RunStore;
}

async function follow(steps: Step[]) {
  let now = START;
  const runs = scriptedRun(steps, () => now);
  jest.mocked(connectLocal).mockReturnValue({
    runs,
    flowState: memoryFlowState(),
    backfills: {} as never,
    dynamoEndpoint: "http://127.0.0.1:1",
    logs: { pollMs: 250, settleMs: 0, read: async () => ({ lines: [], cursor: "", end: true }) },
    launcher: { invoke: async () => ({ status: "launched", runId: RUN_ID, attempt: 1, state: "STARTING" }) as never },
    close: () => undefined,
  });
  const result = await runCliCapturing(["run", "slow-retries", "--wait"], {
    dataDir: "/nonexistent",
    registry,
    now: () => new Date(now),
    sleep: async (ms) => void (now += ms),
  });
  return { ...result, minutesWaited: (now - START) / 60_000 };
}

/** `run --wait` waits as long as a run can legitimately take: every attempt, and the backoffs between them. */
describe("data-flows run --wait", () => {
  it("follows a run through all its attempts, each near its timeout, to its end", async () => {
    const result = await follow([
      { minute: 0, state: "PENDING", attempt: 1 },
      { minute: 0.1, state: "RUNNING", attempt: 1 },
      { minute: 4.9, state: "RETRYING", attempt: 1, retryAt: 5.9, exitCode: 1 },
      { minute: 5.9, state: "PENDING", attempt: 2 },
      { minute: 6, state: "RUNNING", attempt: 2 },
      { minute: 10.9, state: "RETRYING", attempt: 2, retryAt: 12.9, exitCode: 1 },
      { minute: 12.9, state: "PENDING", attempt: 3 },
      { minute: 13, state: "RUNNING", attempt: 3 },
      { minute: 17.9, state: "SUCCEEDED", attempt: 3, exitCode: 0 },
    ]);
    expect(result).toMatchObject({ code: 0, err: "" });
    expect(result.out.split("\n").at(-1)).toBe(`${RUN_ID} ended SUCCEEDED with exit code 0`);
  });

  it("keeps waiting through a long backoff, while the retry is still due", async () => {
    const result = await follow([
      { minute: 0, state: "RUNNING", attempt: 1 },
      { minute: 1, state: "RETRYING", attempt: 1, retryAt: 16, exitCode: 1 },
      { minute: 16, state: "RUNNING", attempt: 2 },
      { minute: 17, state: "FAILED", attempt: 2, exitCode: 1 },
    ]);
    expect(result).toMatchObject({ code: 1, err: "" });
    expect(result.out.split("\n").at(-1)).toBe(`${RUN_ID} ended FAILED with exit code 1`);
  });

  it("gives up, in one line, on a run that stopped moving: past its deadline and the reaper's grace", async () => {
    const result = await follow([{ minute: 0, state: "RUNNING", attempt: 1 }]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(new RegExp(`^data-flows: gave up waiting for ${RUN_ID}: still RUNNING[^\\n]*$`));
    // Not before the attempt's deadline (5 minutes) and the reaper's next pass could have ended it.
    expect(result.minutesWaited).toBeGreaterThan(10);
    expect(result.minutesWaited).toBeLessThan(30);
  });
});
