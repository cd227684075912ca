import { parseArgs } from "node:util";
import { startDynalite } from "../tests/support/dynalite";
import { simulate } from "../tests/support/simulation";
import { historiesOf } from "./property-worker";

/**
 * Replays one history of the property bench with its trace: every invocation the world made, when, and how it ended,
 * then each run's history and the oracle's verdict.
 *   npx tsx bench/property-replay.ts --seed S --histories N --index I
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seed: { type: "string" }, histories: { type: "string" }, index: { type: "string" } },
  });
  const [seed, histories, index] = [values.seed, values.histories, values.index].map(Number) as [
    number,
    number,
    number,
  ];
  if (![seed, histories, index].every(Number.isInteger)) {
    throw new Error("usage: npx tsx bench/property-replay.ts --seed S --histories N --index I");
  }
  const { scenario } = historiesOf(seed, histories)[index]!;
  const dynamo = await startDynalite();
  try {
    const result = await simulate(scenario, { runs: await dynamo.freshRunStore(), client: dynamo.client }, index, {
      trace: true,
    });
    console.log(`scenario ${JSON.stringify(scenario)}`);
    for (const line of result.trace ?? []) console.log(line);
    for (const run of result.runs) {
      console.log(`${run.runId} ${run.state} attempt ${run.attempt}`);
      for (const entry of run.history) console.log(`  ${JSON.stringify(entry)}`);
    }
    console.log(result.violations.length ? result.violations.join("\n") : "the oracle holds");
  } finally {
    await dynamo.close();
  }
}

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
