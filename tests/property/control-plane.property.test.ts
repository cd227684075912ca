import fc from "fast-check";
import type { DynamoRunStore } from "../../lambdas/adapters/dynamo-run-store";
import { startDynalite } from "../support/dynalite";
import { scenarioArbitrary, simulate } from "../support/simulation";

/** Histories per `npm test`; `npm run bench` runs 10,000. */
const RUNS = Number(process.env.DATA_FLOWS_PROPERTY_RUNS ?? 500);

describe("the control plane under at-least-once, out-of-order delivery (property)", () => {
  let dynamo: Awaited<ReturnType<typeof startDynalite>>;
  let runs: DynamoRunStore;
  let index = 0;

  beforeAll(async () => {
    dynamo = await startDynalite();
    runs = await dynamo.freshRunStore();
  });
  afterAll(() => dynamo.close());

  it(`starts one task per attempt, ends in the true state and never leaves a terminal state (${RUNS} histories)`, async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary, async (scenario) => {
        const result = await simulate(scenario, runs, index++);
        expect(result.violations).toEqual([]);
        expect({ state: result.run.state, attempt: result.run.attempt }).toEqual(result.expected);
      }),
      { numRuns: RUNS, seed: Number(process.env.DATA_FLOWS_PROPERTY_SEED ?? 20260302) },
    );
  }, 180_000);
});
