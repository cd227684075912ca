import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Rows } from "./report";
import { ratioOf } from "./report";
import { exact, spread } from "./stats";

const ROOT = resolve(__dirname, "..");
const PROPERTY_TEST = "tests/property";

interface JestOutcome {
  seconds: number;
  passed: boolean;
  timedOut: boolean;
  failures: string[];
}

/**
 * Section 7. The control-plane property test (`tests/property`: generated histories with duplicated, reordered, delayed
 * and lost events, dying launchers, throttled RunTask, against dynalite), run through Jest as `npm test` runs it, with
 * `DATA_FLOWS_PROPERTY_RUNS` histories per run, in `chunks` runs with consecutive seeds (`DATA_FLOWS_PROPERTY_SEED`),
 * so the rate has a spread. The baseline is the same Jest run with one history: its start-up is subtracted.
 */
export function benchProperty(rows: Rows, runs: number, seed: number, chunks = 3): string[] {
  const work = mkdtempSync(join(tmpdir(), "data-flows-bench-property-"));
  const problems: string[] = [];
  try {
    const jest = (histories: number, chunkSeed: number, label: string): JestOutcome => {
      const out = join(work, `${label}.json`);
      const start = process.hrtime.bigint();
      // In band, so that a run past its time budget (45 s of start-up, then at least 4 histories/s) is killed whole.
      const budgetMs = 45_000 + histories * 250;
      const child = spawnSync(
        process.execPath,
        [
          join(ROOT, "node_modules", "jest", "bin", "jest.js"),
          PROPERTY_TEST,
          "--runInBand",
          "--forceExit",
          "--silent",
          "--json",
          `--outputFile=${out}`,
        ],
        {
          cwd: ROOT,
          encoding: "utf8",
          timeout: budgetMs,
          killSignal: "SIGKILL",
          env: {
            ...process.env,
            DATA_FLOWS_PROPERTY_RUNS: String(histories),
            DATA_FLOWS_PROPERTY_SEED: String(chunkSeed),
            // The crowd test costs the same whatever the count: one crowd keeps that constant small.
            DATA_FLOWS_PROPERTY_CROWDS: "1",
          },
        },
      );
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (child.signal === "SIGKILL") {
        return { seconds, passed: false, timedOut: true, failures: [`stopped after its ${budgetMs / 1000} s budget`] };
      }
      let report: { success?: boolean; testResults?: { assertionResults?: { failureMessages?: string[] }[] }[] };
      try {
        report = JSON.parse(readFileSync(out, "utf8")) as typeof report;
      } catch {
        throw new Error(`jest ${PROPERTY_TEST} did not report: ${child.stderr.slice(-1000)}`);
      }
      const failures = (report.testResults ?? [])
        .flatMap((file) => file.assertionResults ?? [])
        .flatMap((test) => test.failureMessages ?? [])
        .map((message) => message.split("\n").slice(0, 6).join(" ").slice(0, 600));
      return { seconds, passed: Boolean(report.success), timedOut: false, failures };
    };

    const baseline = [jest(1, seed, "baseline-1")];
    if (baseline[0]!.timedOut) throw new Error(`jest ${PROPERTY_TEST} with one history: ${baseline[0]!.failures[0]}`);
    baseline.push(jest(1, seed, "baseline-2"));
    const baselineSpread = spread(baseline.map((outcome) => outcome.seconds));
    rows.add("jest tests/property with 1 history (baseline)", baselineSpread, "s", {
      note: "Jest start-up, ts-jest, dynalite, one crowd (DATA_FLOWS_PROPERTY_CROWDS=1)",
    });
    const perChunk = Math.max(1, Math.round(runs / chunks));
    const outcomes: JestOutcome[] = [];
    for (let chunk = 0; chunk < chunks; chunk += 1) {
      const outcome = jest(perChunk, seed + chunk, `chunk-${chunk}`);
      outcomes.push(outcome);
      for (const failure of outcome.failures) problems.push(`seed ${seed + chunk}: ${failure}`);
      if (outcome.timedOut) break; // the others would only time out too
    }
    const chunkSpread = spread(outcomes.map((outcome) => outcome.seconds));
    rows.add(`jest tests/property with ${perChunk} histories`, chunkSpread, "s", {
      ratio: ratioOf(chunkSpread, baselineSpread, "1 history"),
    });
    // Below the baseline's own noise a rate means nothing: NaN then.
    const rates = outcomes.map((outcome) =>
      outcome.seconds > baselineSpread.median ? perChunk / (outcome.seconds - baselineSpread.median) : NaN,
    );
    const failed = outcomes.filter((outcome) => !outcome.passed).length;
    rows.add("property histories per second (Jest start-up subtracted)", spread(rates), "histories/s", {
      note: `${outcomes.length} runs, seeds ${seed}…${seed + outcomes.length - 1}`,
    });
    rows.add("property histories checked", exact(perChunk * outcomes.length), "histories", {
      note: failed
        ? `FAILED in ${failed} of ${outcomes.length} runs: ${problems[0] ?? "(no message)"}`
        : "all held (every run passed)",
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return problems;
}
