import type { FlowDefinition } from "../flows/registry/flow-definition";
import { describeSchedule } from "../flows/registry/schedule";
import { formatDuration } from "../lambdas/core/duration";
import type { Run } from "../lambdas/core/run";
import { isTerminal } from "../contracts/run-states";

/** Lays rows out in aligned columns under a header, the way `docker ps` does. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** How long a run took (or has been going), e.g. `3m 12s`; empty before it started. */
export function duration(run: Pick<Run, "startedAt" | "endedAt">, now: Date): string {
  return run.startedAt ? (formatDuration(run.startedAt, run.endedAt ?? now.toISOString()) ?? "") : "";
}

export function runRows(runs: readonly Run[], now: Date): string[] {
  return table(
    ["RUN", "STATE", "ATTEMPT", "TRIGGER", "CREATED", "DURATION", "EXIT"],
    runs.map((run) => [
      run.runId,
      run.state,
      `${run.attempt}/${run.maxAttempts}`,
      run.trigger,
      run.createdAt.slice(0, 19).replace("T", " "),
      duration(run, now),
      run.exitCode === undefined ? "" : String(run.exitCode),
    ]),
  );
}

/** One run in full: its facts, then its history, one accepted change per line. */
export function runDetails(run: Run, now: Date): string[] {
  const facts: [string, string | undefined][] = [
    ["run", run.runId],
    ["flow", run.flow],
    ["state", run.state],
    ["attempt", `${run.attempt} of ${run.maxAttempts}`],
    ["trigger", run.trigger],
    ["scheduled for", run.scheduledFor],
    ["data interval", run.dataInterval ? `${run.dataInterval.start} → ${run.dataInterval.end}` : undefined],
    ["params", Object.keys(run.params).length ? JSON.stringify(run.params) : undefined],
    ["rerun of", run.rerunOf],
    ["backfill", run.backfillId],
    ["watermark", watermarkLine(run)],
    ["created", run.createdAt],
    ["started", run.startedAt],
    ["ended", run.endedAt],
    ["duration", duration(run, now) || undefined],
    ["exit code", run.exitCode === undefined ? undefined : String(run.exitCode)],
    ["stop code", run.stopCode],
    ["reason", run.reason],
    ["task", run.taskArn],
  ];
  const shown = facts.filter((fact): fact is [string, string] => fact[1] !== undefined);
  const history = table(
    ["AT", "STATE", "ATTEMPT", "SOURCE", "DETAIL"],
    run.history.map((entry) => [
      entry.at,
      entry.state,
      String(entry.attempt),
      entry.source,
      [
        entry.taskVersion !== undefined ? `v${entry.taskVersion}` : undefined,
        entry.exitCode !== undefined ? `exit ${entry.exitCode}` : undefined,
        entry.stopCode,
        entry.reason,
      ]
        .filter(Boolean)
        .join("; "),
    ]),
  );
  return [
    ...shown.map(([label, value]) => `${`${label}:`.padEnd(15)}${value}`),
    "",
    "history:",
    ...history.map((l) => `  ${l}`),
  ];
}

/** What the run's attempt started from and proposed: `from X, proposed Y (committed when it succeeds)`. */
function watermarkLine(run: Run): string | undefined {
  const proposal = run.proposedWatermark?.attempt === run.attempt ? run.proposedWatermark.value : undefined;
  if (run.watermarkAtStart === undefined && proposal === undefined) return undefined;
  const outcome =
    proposal === undefined
      ? ""
      : run.state === "SUCCEEDED"
        ? " (committed: only forward)"
        : isTerminal(run.state)
          ? ` (not committed: the run ended ${run.state})`
          : " (committed if this attempt succeeds)";
  return [
    run.watermarkAtStart !== undefined ? `from ${run.watermarkAtStart}` : "from (none)",
    proposal !== undefined ? `proposed ${proposal}${outcome}` : undefined,
  ]
    .filter(Boolean)
    .join(", ");
}

/** What starts a flow, as people read it: `0 6 * * * (Europe/London); after orders-daily succeeds`, or `manual only`. */
export function describeStarts(flow: Pick<FlowDefinition, "schedule" | "upstream">): string {
  const starts = [
    flow.schedule ? describeSchedule(flow.schedule) : undefined,
    flow.upstream.length ? `after ${flow.upstream.join(", ")} succeeds` : undefined,
  ].filter(Boolean);
  return starts.length ? starts.join("; ") : "manual only";
}
