import { readFileSync } from "node:fs";
import { SeededRandom } from "../tests/support/seeded-random";

/** Summaries and small helpers shared by the bench sections. */

export interface Spread {
  min: number;
  median: number;
  max: number;
  /** How many samples the spread summarises. */
  n: number;
}

export function spread(samples: readonly number[]): Spread {
  if (samples.length === 0) return { min: NaN, median: NaN, max: NaN, n: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  return { min: sorted[0]!, median: percentile(sorted, 50), max: sorted[sorted.length - 1]!, n: sorted.length };
}

/** The p-th percentile (0-100) of samples sorted ascending, by linear interpolation between closest ranks. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

/** A value that does not vary between runs (a count): the same in min, median and max. */
export function exact(value: number, n = 1): Spread {
  return { min: value, median: value, max: value, n };
}

export const median = (samples: readonly number[]) => spread(samples).median;

/** Milliseconds since an arbitrary origin, with sub-microsecond resolution. */
export const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** A seeded pseudo-random source: the same seed gives the same simulation. */
export function seededRandom(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}

/** Runs `work` with process.stdout and process.stderr swallowed (Powertools loggers write there); returns the bytes. */
export async function capturingOutput<T>(work: () => Promise<T>): Promise<{ value: T; bytes: number }> {
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  let bytes = 0;
  const swallow = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    bytes += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.byteLength;
    const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = swallow;
  process.stderr.write = swallow;
  try {
    return { value: await work(), bytes };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

/**
 * This process's peak resident set, MiB: VmHWM from /proc (Linux), which starts afresh at exec. (On Linux,
 * `process.resourceUsage().maxRSS` of a spawned child starts from its parent's peak, so it is used only elsewhere.)
 */
export function peakRssMiB(): number {
  try {
    const match = /VmHWM:\s+(\d+)\s*kB/.exec(readFileSync("/proc/self/status", "utf8"));
    if (match) return Number(match[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}
