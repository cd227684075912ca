import { scenarioArbitrary } from "../support/simulation";
import { PROPERTY_SEED, propertyWorld } from "./property-world";

/** Histories here; as many again, and the crowds, in `control-plane-crowds.property.test.ts` (the other worker). */
const RUNS = Number(process.env.DATA_FLOWS_PROPERTY_RUNS ?? 50);

describe("the control plane under faults (property)", () => {
  const holds = propertyWorld();

  it(`ends every run within its deadline once faults stop, one task at a time, each ending announced and paged once (${RUNS} histories)`, async () => {
    expect(await holds(scenarioArbitrary, RUNS, PROPERTY_SEED)).toBe(RUNS);
  }, 170_000);
});
