import type { RunEventPublisher } from "../lambdas/core/ports";
import type { RunStateChanged } from "../contracts/run-events";
import { isTerminal, RunState } from "../contracts/run-states";

const COLOURS: Partial<Record<RunState, string>> = {
  [RunState.SUCCEEDED]: "\x1b[32m",
  [RunState.FAILED]: "\x1b[31m",
  [RunState.TIMED_OUT]: "\x1b[31m",
  [RunState.LOST]: "\x1b[31m",
  [RunState.CANCELLED]: "\x1b[33m",
  [RunState.SKIPPED]: "\x1b[33m",
};

/** Formats one run change as a console line: time, run, attempt, move, and the facts that explain an ending. */
export function formatRunChange(change: RunStateChanged, colour: boolean): string {
  const time = change.at.slice(11, 19);
  const move = `${change.from ?? "new"} → ${change.to}`;
  const paint = colour && COLOURS[change.to] ? `${COLOURS[change.to]}${move}\x1b[0m` : move;
  const exit = change.exitCode !== undefined ? `exit ${change.exitCode}` : undefined;
  const facts = (
    change.to === RunState.SUCCEEDED ? [exit] : isTerminal(change.to) ? [exit, change.stopCode, change.reason] : []
  ).filter(Boolean);
  return `${time}  ${change.runId}  attempt ${change.attempt}/${change.maxAttempts}  ${paint}${facts.length ? `  (${facts.join("; ")})` : ""}`;
}

/** The local stand-in for the EventBridge bus: prints every run change as it is accepted. */
export class ConsoleReporter implements RunEventPublisher {
  /** The last change printed per run: a re-announced change (a redelivered event) is printed once. */
  private readonly printed = new Map<string, string>();

  constructor(
    private readonly write: (line: string) => void,
    private readonly colour: boolean,
  ) {}

  async publish(change: RunStateChanged): Promise<void> {
    const key = `${change.attempt}:${change.to}:${change.at}`;
    if (this.printed.get(change.runId) === key) return;
    this.printed.set(change.runId, key);
    this.write(formatRunChange(change, this.colour));
  }
}

/** Shows a flow's log line compactly: Powertools JSON lines as `LEVEL message`, anything else as printed. */
export function formatFlowOutput(runId: string, text: string): string {
  try {
    const line = JSON.parse(text) as {
      level?: string;
      message?: string;
      error?: { message?: string };
      metric?: { name: string; value: number };
    };
    if (line.metric) return `          ${runId}  │ METRIC ${line.metric.name}=${line.metric.value}`;
    if (line.level && line.message) {
      return `          ${runId}  │ ${line.level} ${line.message}${line.error?.message ? `: ${line.error.message}` : ""}`;
    }
  } catch {
    // not JSON: show it as the flow printed it
  }
  return `          ${runId}  │ ${text}`;
}
