import { taskIdOf } from "../contracts/resource-names";
import type { Run } from "../lambdas/core/run";
import { isTerminal } from "../contracts/run-states";
import type { TaskLogLine, TaskLogReader } from "./task-log-reader";

/** A log line as `logs --json` prints it: which run, attempt and task wrote it. */
export interface RunLogLine extends TaskLogLine {
  runId: string;
  attempt: number;
  taskId: string;
}

/** The task of one of a run's attempts: every change that came with a task recorded its id in the history. */
export function taskOfAttempt(run: Run, attempt: number): string | undefined {
  const recorded = [...run.history].reverse().find((entry) => entry.attempt === attempt && entry.taskId)?.taskId;
  // A run recorded before history carried task ids still names its current attempt's task.
  return recorded ?? (attempt === run.attempt && run.taskArn ? taskIdOf(run.taskArn) : undefined);
}

/** The attempt can change no more: the run has ended, or gone on to a later attempt. */
export function attemptEnded(run: Run, attempt: number): boolean {
  return isTerminal(run.state) || run.attempt > attempt;
}

export interface RunLogFollowerOptions {
  reader: TaskLogReader;
  runId: string;
  flow: string;
  /** The first attempt whose lines are printed. */
  attempt: number;
  /** That attempt only; otherwise each later attempt's lines follow once the run has moved on to it. */
  oneAttempt: boolean;
  since?: Date;
  print: (line: RunLogLine) => void;
  now: () => Date;
}

/**
 * Prints a run's log lines as its tasks write them, each line once: read after read of the run, it carries on from
 * where the last read stopped, finishing an attempt's log before it goes on to the next attempt's.
 */
export class RunLogFollower {
  private attempt: number;
  private taskId: string | undefined;
  private cursor: string | undefined;
  private lastReadAt = -Infinity;

  constructor(private readonly options: RunLogFollowerOptions) {
    this.attempt = options.attempt;
  }

  /**
   * Prints what has been written since the last call, given the run as just read. It reads at most every `pollMs`
   * of the reader, except once the attempt followed has ended (the run was read before the log, so every line its
   * task wrote is there to read, give or take the reader's `settleMs`).
   */
  async catchUp(run: Run): Promise<void> {
    const now = this.options.now().getTime();
    if (!attemptEnded(run, this.attempt) && now - this.lastReadAt < this.options.reader.pollMs) return;
    this.lastReadAt = now;
    for (;;) {
      this.taskId ??= taskOfAttempt(run, this.attempt);
      if (this.taskId) await this.drain(this.taskId);
      if (this.options.oneAttempt || run.attempt <= this.attempt) return;
      this.attempt += 1;
      this.taskId = undefined;
      this.cursor = undefined;
    }
  }

  /**
   * Once a read of the run that found the attempt(s) ended was caught up with: waits the reader's `settleMs` for
   * lines still on their way, and prints them.
   */
  async finish(run: Run, sleep: (ms: number) => Promise<void>): Promise<void> {
    if (this.options.reader.settleMs === 0 || !this.taskId) return;
    await sleep(this.options.reader.settleMs);
    await this.catchUp(run);
  }

  private async drain(taskId: string): Promise<void> {
    const { reader, runId, flow, since, print } = this.options;
    for (;;) {
      const page = await reader.read(flow, taskId, {
        ...(this.cursor && { cursor: this.cursor }),
        ...(since && { since }),
      });
      this.cursor = page.cursor;
      for (const line of page.lines) {
        print({
          runId,
          attempt: this.attempt,
          taskId,
          ...(line.timestamp && { timestamp: line.timestamp }),
          message: line.message,
        });
      }
      if (page.end) return;
    }
  }
}
