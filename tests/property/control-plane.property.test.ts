import fc from "fast-check";
import { startDynalite } from "../support/dynalite";
import type { SimulationStore } from "../support/simulation";
import { crowdArbitrary, scenarioArbitrary, simulate } from "../support/simulation";

/** Histories per `npm test` (a short, fixed seed set); `npm run bench` runs 10,000 with the full fault mix. */
const RUNS = Number(process.env.DATA_FLOWS_PROPERTY_RUNS ?? 150);
const CROWDS = Number(process.env.DATA_FLOWS_PROPERTY_CROWDS ?? 3);
const SEED = Number(process.env.DATA_FLOWS_PROPERTY_SEED ?? 20260302);

describe("the control plane under faults (property)", () => {
  let dynamo: Awaited<ReturnType<typeof startDynalite>>;
  let store: SimulationStore;
  let index = 0;

  beforeAll(async () => {
    dynamo = await startDynalite();
    store = { runs: await dynamo.freshRunStore(), client: dynamo.client };
  });
  afterAll(() => dynamo.close());

  it(`ends every run within its deadline once faults stop, one task at a time, each ending announced and paged once (${RUNS} histories)`, async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary, async (scenario) => {
        expect((await simulate(scenario, store, index++)).violations).toEqual([]);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  }, 170_000);

  it(`holds with more active runs of one flow than a page of the reaper's query (${CROWDS} crowds)`, async () => {
    await fc.assert(
      fc.asyncProperty(crowdArbitrary, async (scenario) => {
        expect((await simulate(scenario, store, index++)).violations).toEqual([]);
      }),
      { numRuns: CROWDS, seed: SEED },
    );
  }, 170_000);
});
