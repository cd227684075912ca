import fc from "fast-check";
import { startDynalite } from "../support/dynalite";
import type { SimulationStore, Scenario } from "../support/simulation";
import { simulate } from "../support/simulation";

/** The fixed seed of `npm test`'s histories; `DATA_FLOWS_PROPERTY_SEED` picks another. */
export const PROPERTY_SEED = Number(process.env.DATA_FLOWS_PROPERTY_SEED ?? 20260302);

/**
 * One dynalite for a file of property tests, and a check that plays generated histories through the simulation and
 * expects its oracle to hold for each. `npm test` splits its histories across two files so both Jest workers share
 * them; `npm run bench -- --only 7` plays 10,000 per seed.
 */
export function propertyWorld() {
  let dynamo: Awaited<ReturnType<typeof startDynalite>>;
  let store: SimulationStore;
  let index = 0;
  beforeAll(async () => {
    dynamo = await startDynalite();
    store = { runs: await dynamo.freshRunStore(), client: dynamo.client };
  });
  afterAll(() => dynamo.close());
  /** Plays `numRuns` histories and returns how many were played (fast-check stops at the first that breaks). */
  return async (arbitrary: fc.Arbitrary<Scenario>, numRuns: number, seed: number): Promise<number> => {
    let played = 0;
    await fc.assert(
      fc.asyncProperty(arbitrary, async (scenario) => {
        played += 1;
        expect((await simulate(scenario, store, index++)).violations).toEqual([]);
      }),
      { numRuns, seed },
    );
    return played;
  };
}
