import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import type { EnvironmentNames } from "../contracts/resource-names";
import type { TaskLogPage, TaskLogReader, TaskLogReadOptions } from "./task-log-reader";

/**
 * A task's CloudWatch log stream, read forwards from its head with `GetLogEvents`, one page per call. The stream's end
 * is where GetLogEvents hands back the token it was given (as AWS documents); a page with a new token may be empty
 * and still be followed by more.
 */
export class CloudWatchTaskLogReader implements TaskLogReader {
  /** A follower's GetLogEvents calls stay far below the account's quota (25 a second, shared by every caller). */
  readonly pollMs = 2_000;
  /** The awslogs driver sends in batches: a task's last lines may land a few seconds after ECS reports it stopped. */
  readonly settleMs = 5_000;

  constructor(
    private readonly options: {
      client: CloudWatchLogsClient;
      names: Pick<EnvironmentNames, "flowLogGroup" | "flowLogStream">;
    },
  ) {}

  async read(flow: string, taskId: string, options: TaskLogReadOptions): Promise<TaskLogPage> {
    const { client, names } = this.options;
    const sent = options.cursor || undefined;
    let answer;
    try {
      answer = await client.send(
        new GetLogEventsCommand({
          logGroupName: names.flowLogGroup(flow),
          logStreamName: names.flowLogStream(flow, taskId),
          startFromHead: true,
          ...(sent && { nextToken: sent }),
          ...(options.since && { startTime: options.since.getTime() }),
        }),
      );
    } catch (error) {
      // The stream appears with the container's first line: until then the task has logged nothing.
      if (isMissingStream(error)) return { lines: [], cursor: sent ?? "", end: true };
      throw error;
    }
    const next = answer.nextForwardToken;
    return {
      lines: (answer.events ?? []).map((event) => ({
        message: event.message ?? "",
        ...(event.timestamp !== undefined && { timestamp: new Date(event.timestamp).toISOString() }),
      })),
      cursor: next ?? sent ?? "",
      end: next === undefined || next === sent,
    };
  }
}

function isMissingStream(error: unknown): boolean {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  return name === "ResourceNotFoundException" && typeof message === "string" && /log stream/i.test(message);
}
