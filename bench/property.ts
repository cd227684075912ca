import fc from "fast-check";
import { startDynalite } from "../tests/support/dynalite";
import { scenarioArbitrary, simulate } from "../tests/support/simulation";

/**
 * The control-plane property over many generated histories (duplicated, reordered, delayed and lost ECS events,
 * duplicated schedule deliveries, launchers dying after RunTask, throttled RunTask), against dynalite.
 * Prints the count, the time and any counterexample (with the seed to replay it).
 */
export async function benchProperty(print: (line: string) => void, runs: number): Promise<void> {
  const dynamo = await startDynalite();
  const store = await dynamo.freshRunStore();
  let index = 0;
  let deliveries = 0;
  const seed = Number(process.env.DATA_FLOWS_PROPERTY_SEED ?? Date.now() % 2 ** 31);
  const started = performance.now();
  const outcome = await fc.check(
    fc.asyncProperty(scenarioArbitrary, async (scenario) => {
      const result = await simulate(scenario, store, index++);
      deliveries += result.deliveries;
      const right = result.run.state === result.expected.state && result.run.attempt === result.expected.attempt;
      return right && result.violations.length === 0;
    }),
    { numRuns: runs, seed },
  );
  const seconds = (performance.now() - started) / 1000;
  print(
    `property: ${outcome.numRuns} histories (${deliveries} deliveries) in ${seconds.toFixed(1)} s, ` +
      `${Math.round(outcome.numRuns / seconds)} histories/s, seed ${seed}: ${outcome.failed ? "FAILED" : "all held"}`,
  );
  if (outcome.failed) print(`counterexample: ${JSON.stringify(outcome.counterexample)}`);
  await dynamo.close();
}
