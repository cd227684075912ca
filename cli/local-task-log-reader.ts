import { open } from "node:fs/promises";
import { localTaskLogFile } from "../local/local-environment";
import type { TaskLogLine, TaskLogPage, TaskLogReader, TaskLogReadOptions } from "./task-log-reader";

/** At most this much of a file per read, as GetLogEvents answers at most 1 MB. */
const PAGE_BYTES = 1 << 20;
const NEWLINE = 0x0a;

/**
 * A task's log as the local runner writes it: one file per task, one line per line the flow printed. The cursor is a
 * byte offset, so a follower reads each line once; a line still being written is left for the next read.
 *
 * The file records no time of its own. A line's timestamp is the `timestamp` of the flow runtime's JSON log line;
 * for `since`, a line without one (a plain `console.log`, a stack trace) goes with the timestamped line before it, and
 * lines before the first timestamped one are kept.
 */
export class LocalTaskLogReader implements TaskLogReader {
  readonly pollMs = 250;
  readonly settleMs = 0;

  constructor(private readonly logsDir: string) {}

  async read(flow: string, taskId: string, options: TaskLogReadOptions): Promise<TaskLogPage> {
    const from = parseCursor(options.cursor);
    let file;
    try {
      file = await open(localTaskLogFile(this.logsDir, flow, taskId), "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT")
        return { lines: [], cursor: options.cursor ?? "", end: true };
      throw error;
    }
    let bytes: Buffer;
    try {
      const buffer = Buffer.alloc(PAGE_BYTES);
      const { bytesRead } = await file.read(buffer, 0, PAGE_BYTES, from.offset);
      bytes = buffer.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
    const full = bytes.length === PAGE_BYTES;
    // Whole lines only; a line longer than a page is cut rather than never read.
    const taken = bytes.lastIndexOf(NEWLINE) + 1 || (full ? bytes.length : 0);
    let shown = from.shown;
    const lines: TaskLogLine[] = [];
    const text = bytes.toString("utf8", 0, taken);
    const messages = text ? text.replace(/\n$/, "").split("\n") : [];
    for (const message of messages) {
      const timestamp = timestampOf(message);
      if (timestamp && options.since) shown = Date.parse(timestamp) >= options.since.getTime();
      if (shown) lines.push({ message, ...(timestamp && { timestamp }) });
    }
    return { lines, cursor: formatCursor({ offset: from.offset + taken, shown }), end: !full };
  }
}

interface Cursor {
  offset: number;
  /** Whether the last timestamped line read was on or after `since`: lines without a timestamp go with it. */
  shown: boolean;
}

function parseCursor(cursor: string | undefined): Cursor {
  const match = /^(\d+)(-?)$/.exec(cursor ?? "");
  return match ? { offset: Number(match[1]), shown: match[2] !== "-" } : { offset: 0, shown: true };
}

function formatCursor(cursor: Cursor): string {
  return `${cursor.offset}${cursor.shown ? "" : "-"}`;
}

/** The time a flow runtime log line (Powertools JSON) carries, as an ISO instant. */
function timestampOf(line: string): string | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const { timestamp } = JSON.parse(line) as { timestamp?: unknown };
    const at = typeof timestamp === "string" ? Date.parse(timestamp) : NaN;
    return Number.isNaN(at) ? undefined : new Date(at).toISOString();
  } catch {
    return undefined;
  }
}
