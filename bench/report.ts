import type { Spread } from "./stats";

/** One figure of the bench: a spread over runs (or an exact count), its unit, and how it compares to a baseline. */
export interface Row {
  /** Which section of the bench measured it ("1 bundles", "2 recorder"…). */
  section: string;
  name: string;
  value: Spread;
  unit: string;
  /** This figure divided by a baseline measured in the same run (medians), and what that baseline is. */
  ratio?: { value: number; baseline: string };
  note?: string;
}

/** A section that could not run: its error is reported in the table instead of ending the bench. */
export interface SectionError {
  section: string;
  error: string;
}

/** Adds rows as a section measures them. */
export class Rows {
  readonly rows: Row[] = [];
  constructor(readonly section: string) {}

  add(name: string, value: Spread, unit: string, extra: Pick<Row, "ratio" | "note"> = {}): Row {
    const row: Row = { section: this.section, name, value, unit, ...extra };
    this.rows.push(row);
    return row;
  }
}

/** A ratio of medians, for `Row.ratio`. */
export function ratioOf(value: Spread, baseline: Spread, description: string): Row["ratio"] {
  return { value: value.median / baseline.median, baseline: description };
}

/** A number as a person reads it: grouped thousands, three significant digits below 100. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 100 || Number.isInteger(value)) return Math.round(value).toLocaleString("en");
  if (magnitude === 0) return "0";
  return value.toPrecision(3).replace(/\.?0+$/, "");
}

/** The one table `npm run bench` prints: every row with min, median, max, unit, runs and ratio. */
export function renderTable(rows: readonly Row[], errors: readonly SectionError[]): string {
  const header = ["section", "measure", "min", "median", "max", "unit", "n", "× baseline", "note"];
  const body = rows.map((row) => [
    row.section,
    row.name,
    formatNumber(row.value.min),
    formatNumber(row.value.median),
    formatNumber(row.value.max),
    row.unit,
    String(row.value.n),
    row.ratio ? `${formatNumber(row.ratio.value)}× ${row.ratio.baseline}` : "",
    row.note ?? "",
  ]);
  for (const error of errors) body.push([error.section, "SECTION FAILED", "", "", "", "", "", "", error.error]);
  const widths = header.map((title, column) =>
    Math.min(column === 8 ? 80 : 60, Math.max(title.length, ...body.map((cells) => cells[column]!.length))),
  );
  const numeric = new Set([2, 3, 4, 6]);
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => {
        const width = widths[column]!;
        const text = cell.length > width ? `${cell.slice(0, width - 1)}…` : cell;
        return numeric.has(column) ? text.padStart(width) : text.padEnd(width);
      })
      .join(" │ ")
      .trimEnd();
  const rule = widths.map((width) => "─".repeat(width)).join("─┼─");
  return [line(header), rule, ...body.map(line)].join("\n");
}
