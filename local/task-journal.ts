import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LocalTaskFacts } from "./ecs-events";

/** A task whose process is running, as the control plane that started it wrote it down. */
export interface JournalEntry {
  facts: LocalTaskFacts;
  /** The flow's process, leader of its own process group. */
  pid: number;
  /** When that process started (Linux: ticks since boot), so a recycled pid is never mistaken for the flow. */
  processStart?: string;
  startedAt: string;
  /** The task's version when it was written down: a stop reported later must rank above it. */
  version: number;
}

/**
 * The tasks a local control plane has running, one file each under `dir`, removed when the task's STOPPED event is
 * out. A control plane killed outright (kill -9, a crash Node cannot catch) leaves its flows running in their own
 * process groups with nobody to record them; the next start reads what is left here and stops them (see
 * `ProcessTaskRunner.recover`), as ECS stops the tasks of a host it lost.
 */
export class TaskJournal {
  constructor(private readonly dir: string) {}

  record(entry: JournalEntry): void {
    mkdirSync(this.dir, { recursive: true });
    const file = this.fileOf(entry.facts.taskId);
    // Written whole or not at all: a kill between the write and the rename leaves only a temp file, ignored.
    writeFileSync(`${file}.tmp`, JSON.stringify(entry));
    renameSync(`${file}.tmp`, file);
  }

  forget(taskId: string): void {
    rmSync(this.fileOf(taskId), { force: true });
  }

  /** What an earlier control plane left running (or left written down after its tasks ended while it was gone). */
  entries(): JournalEntry[] {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((name) => name.endsWith(".json"));
    } catch {
      return [];
    }
    const entries: JournalEntry[] = [];
    for (const name of names) {
      try {
        entries.push(JSON.parse(readFileSync(join(this.dir, name), "utf8")) as JournalEntry);
      } catch {
        rmSync(join(this.dir, name), { force: true }); // unreadable: nothing can be done with it
      }
    }
    return entries;
  }

  private fileOf(taskId: string): string {
    return join(this.dir, `${taskId}.json`);
  }
}

/** When process `pid` started, where the OS tells (Linux's /proc); undefined elsewhere or when it is gone. */
export function processStartOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command (which may hold spaces and parentheses) start after its last ")"; starttime is the
    // 22nd field of the line, the 20th after the command.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/**
 * Whether the process group this entry started is still there and is the flow's: some member is alive, and the
 * group's leader is either gone (the flow exited, leaving children) or the very process that was written down.
 */
export function isStillRunning(entry: JournalEntry): boolean {
  try {
    process.kill(-entry.pid, 0);
  } catch {
    return false;
  }
  const leaderStart = processStartOf(entry.pid);
  return leaderStart === undefined || entry.processStart === undefined || leaderStart === entry.processStart;
}
