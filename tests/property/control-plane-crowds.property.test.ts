import { crowdArbitrary, scenarioArbitrary } from "../support/simulation";
import { PROPERTY_SEED, propertyWorld } from "./property-world";

/** Half as many as the other file: the crowds cost as much as the rest (each is 55-70 runs of one flow). */
const RUNS = Math.ceil(Number(process.env.DATA_FLOWS_PROPERTY_RUNS ?? 50) / 2);
const CROWDS = Number(process.env.DATA_FLOWS_PROPERTY_CROWDS ?? 2);

describe("the control plane under faults (property, second half, and crowds)", () => {
  const holds = propertyWorld();

  it(`holds for ${RUNS} more histories, from the next seed`, async () => {
    expect(await holds(scenarioArbitrary, RUNS, PROPERTY_SEED + 1)).toBe(RUNS);
  }, 170_000);

  it(`holds with more active runs of one flow than a page of the reaper's query (${CROWDS} crowds)`, async () => {
    expect(await holds(crowdArbitrary, CROWDS, PROPERTY_SEED)).toBe(CROWDS);
  }, 170_000);
});
