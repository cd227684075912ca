import fc from "fast-check";
import { startDynalite } from "../tests/support/dynalite";
import type { Scenario } from "../tests/support/simulation";
import { crowdArbitrary, scenarioArbitrary, simulate } from "../tests/support/simulation";

/** What a worker reports for each history it played: one JSON line on stdout. */
export interface HistoryReport {
  seed: number;
  index: number;
  crowd: boolean;
  ms: number;
  deliveries: number;
  faults: Record<string, number>;
  /** Operator commands the history sent, by kind (resends counted). */
  commands: Record<string, number>;
  violations: string[];
}

/** Every `CROWD_EVERY`-th history is a crowd (more active runs of one flow than a reaper page holds). */
export const CROWD_EVERY = 500;

/**
 * The histories of one seed, as every worker and every replay draws them: index `i` is always the same scenario for a
 * seed, so a counterexample is named by `(seed, index)` alone (see `bench/property-replay.ts`).
 */
export function historiesOf(seed: number, count: number): { scenario: Scenario; crowd: boolean }[] {
  const crowds = Math.floor(count / CROWD_EVERY);
  const plain = fc.sample(scenarioArbitrary, { numRuns: count - crowds, seed });
  const crowd = crowds > 0 ? fc.sample(crowdArbitrary, { numRuns: crowds, seed }) : [];
  return Array.from({ length: count }, (_, index) =>
    (index + 1) % CROWD_EVERY === 0
      ? { scenario: crowd[(index + 1) / CROWD_EVERY - 1]!, crowd: true }
      : { scenario: plain[index - Math.floor((index + 1) / CROWD_EVERY)]!, crowd: false },
  );
}

/** Plays the histories `index % workers === worker` of one seed against its own dynalite. */
async function main(): Promise<void> {
  const [seed, count, worker, workers] = process.argv.slice(2).map(Number) as [number, number, number, number];
  const dynamo = await startDynalite();
  try {
    const store = { runs: await dynamo.freshRunStore(), client: dynamo.client };
    const histories = historiesOf(seed, count);
    for (let index = worker; index < count; index += workers) {
      const { scenario, crowd } = histories[index]!;
      const started = performance.now();
      const result = await simulate(scenario, store, index);
      const report: HistoryReport = {
        seed,
        index,
        crowd,
        ms: performance.now() - started,
        deliveries: result.deliveries,
        faults: result.faults,
        commands: result.commands,
        violations: result.violations,
      };
      process.stdout.write(`${JSON.stringify(report)}\n`);
    }
  } finally {
    await dynamo.close();
  }
}

if (require.main === module) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
