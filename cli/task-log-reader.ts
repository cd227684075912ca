/** One line a task wrote, with its time when the log records one. */
export interface TaskLogLine {
  message: string;
  /** ISO instant: CloudWatch's event time; locally the `timestamp` of the flow runtime's JSON log lines. */
  timestamp?: string;
}

/** What one read of a task's log returned, and where the next read carries on. */
export interface TaskLogPage {
  lines: TaskLogLine[];
  /** Pass it back to read the lines that follow; opaque (a byte offset locally, a CloudWatch token in AWS). */
  cursor: string;
  /** Nothing more was there to read: the next read can only find lines written after this one. */
  end: boolean;
}

export interface TaskLogReadOptions {
  /** Where the previous read stopped; from the log's first line without it. */
  cursor?: string;
  /** Only lines from this instant on. */
  since?: Date;
}

/**
 * Reads one task's log from its first line, page by page, as its task writes it: what `data-flows logs` needs of an
 * environment. A log not written yet reads as no lines.
 */
export interface TaskLogReader {
  /** How often a follower reads again: 250 ms locally; in AWS, well within GetLogEvents' request quota. */
  readonly pollMs: number;
  /**
   * How long after a task stopped its last lines may still be arriving: 0 locally, where the runner closes the file
   * before it reports the task stopped; in AWS, the awslogs driver's last batch.
   */
  readonly settleMs: number;
  read(flow: string, taskId: string, options: TaskLogReadOptions): Promise<TaskLogPage>;
}
