import { spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { HistoryReport } from "./property-worker";
import type { Rows } from "./report";
import { exact, spread } from "./stats";

export interface PropertyScaleResult {
  histories: number;
  /** Each history that broke the oracle, with the command that replays it. */
  counterexamples: { seed: number; index: number; violations: string[]; replay: string }[];
  faults: Record<string, number>;
  commands: Record<string, number>;
}

/**
 * Section 7b. The control-plane property at scale: `histories` generated histories per seed, each with its own fault
 * mix (the full mix of `tests/support/simulation.ts`), played by one worker process per core against its own
 * dynalite, directly (no Jest). Every history is checked by the simulation's oracle; nothing is shrunk here, a
 * counterexample is reported with the `(seed, index)` that replays it with its trace.
 */
export async function benchPropertyScale(
  rows: Rows,
  options: { histories: number; seeds: readonly number[]; log: (line: string) => void },
): Promise<PropertyScaleResult> {
  const workers = Math.max(1, availableParallelism());
  const result: PropertyScaleResult = { histories: 0, counterexamples: [], faults: {}, commands: {} };
  const rates: number[] = [];
  const perHistoryMs: number[] = [];
  let deliveries = 0;
  for (const seed of options.seeds) {
    const started = performance.now();
    let done = 0;
    await Promise.all(
      Array.from({ length: workers }, (_, worker) =>
        playSlice(seed, options.histories, worker, workers, (report) => {
          done += 1;
          result.histories += 1;
          deliveries += report.deliveries;
          perHistoryMs.push(report.ms);
          for (const [kind, count] of Object.entries(report.faults)) {
            result.faults[kind] = (result.faults[kind] ?? 0) + count;
          }
          for (const [kind, count] of Object.entries(report.commands)) {
            result.commands[kind] = (result.commands[kind] ?? 0) + count;
          }
          if (report.violations.length > 0) {
            const replay = `npx tsx bench/property-replay.ts --seed ${seed} --histories ${options.histories} --index ${report.index}`;
            result.counterexamples.push({ seed, index: report.index, violations: report.violations, replay });
            options.log(`  counterexample: seed ${seed} history ${report.index}: ${report.violations[0]}`);
          }
          if (done % 500 === 0) options.log(`  seed ${seed}: ${done}/${options.histories} histories`);
        }),
      ),
    );
    rates.push(options.histories / ((performance.now() - started) / 1000));
  }
  const failed = result.counterexamples.length;
  rows.add("property histories checked (full fault mix)", exact(result.histories), "histories", {
    note: `${options.seeds.length} seeds (${options.seeds.join(", ")}), ${deliveries.toLocaleString("en")} deliveries; ${
      failed ? `${failed} COUNTEREXAMPLES (replay commands in the JSON)` : "every history held"
    }`,
  });
  rows.add("property histories per second", spread(rates), "histories/s", {
    note: `${workers} worker processes, each with its own dynalite; one value per seed`,
  });
  rows.add("property time per history", spread(perHistoryMs), "ms", { note: "one worker's wall time" });
  for (const [kind, count] of Object.entries(result.commands).sort(([a], [b]) => a.localeCompare(b))) {
    rows.add(`operator commands sent: ${kind}`, exact(count), "commands", {
      note: `${(count / result.histories).toFixed(2)} per history (resends counted)`,
    });
  }
  for (const [kind, count] of Object.entries(result.faults).sort(([a], [b]) => a.localeCompare(b))) {
    rows.add(`faults injected: ${kind}`, exact(count), "faults", {
      note: `${(count / result.histories).toFixed(2)} per history`,
    });
  }
  return result;
}

function playSlice(
  seed: number,
  histories: number,
  worker: number,
  workers: number,
  onReport: (report: HistoryReport) => void,
): Promise<void> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(__dirname, "property-worker.ts"),
      String(seed),
      String(histories),
      String(worker),
      String(workers),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  createInterface({ input: child.stdout! }).on("line", (line) => onReport(JSON.parse(line) as HistoryReport));
  return new Promise((resolve, reject) =>
    child.once("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`property worker ${worker} (seed ${seed}) exited ${code}: ${stderr}`)),
    ),
  );
}
