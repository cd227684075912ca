/**
 * Fargate accepts only these cpu/memory combinations (AWS "Task CPU and memory" table, Linux).
 * Keyed by cpu units; values are the allowed memory sizes in MiB.
 */
export const FARGATE_MEMORY_BY_CPU: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

function range(from: number, to: number, step: number): number[] {
  const values: number[] = [];
  for (let value = from; value <= to; value += step) values.push(value);
  return values;
}

/** Whether Fargate can run a task of this size. */
export function isFargateSize(cpu: number, memoryMiB: number): boolean {
  return FARGATE_MEMORY_BY_CPU[cpu]?.includes(memoryMiB) ?? false;
}

/** A one-line hint listing the memory sizes allowed for a cpu value, used in validation messages. */
export function fargateSizeHint(cpu: number): string {
  const allowed = FARGATE_MEMORY_BY_CPU[cpu];
  if (!allowed) return `cpu must be one of ${Object.keys(FARGATE_MEMORY_BY_CPU).join(", ")}`;
  return `with cpu ${cpu}, memoryMiB must be one of ${allowed[0]}..${allowed[allowed.length - 1]} in steps of ${allowed[1]! - allowed[0]!}`;
}
