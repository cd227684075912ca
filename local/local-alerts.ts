import { readFile } from "node:fs/promises";
import { taskIdOf } from "../contracts/resource-names";
import type { Delivery, Notifier, TaskLogs } from "../lambdas/core/ports";
import { localTaskLogFile } from "./local-environment";

/** Without SLACK_WEBHOOK_URL, the local alerter prints the message it would have posted. */
export class ConsoleNotifier implements Notifier {
  constructor(private readonly write: (line: string) => void) {}

  async post(message: { text: string; blocks: object[] }): Promise<Delivery> {
    this.write(`slack (set SLACK_WEBHOOK_URL to post) ▸ ${message.text}`);
    return "confirmed";
  }
}

/** Task logs as the local runner writes them: one file per task under `<logsDir>/<flow>/<taskId>.log`. */
export class LocalTaskLogs implements TaskLogs {
  constructor(private readonly logsDir: string) {}

  link(flow: string, taskArn: string): string {
    return `file://${this.path(flow, taskArn)}`;
  }

  async tail(flow: string, taskArn: string, lines: number): Promise<string[]> {
    const text = await readFile(this.path(flow, taskArn), "utf8");
    return text.trimEnd().split("\n").slice(-lines);
  }

  private path(flow: string, taskArn: string): string {
    return localTaskLogFile(this.logsDir, flow, taskIdOf(taskArn));
  }
}
