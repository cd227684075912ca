import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import type { TaskLogs } from "../core/ports";
import { FLOW_CONTAINER_NAME } from "../core/task-state-change";

/**
 * A flow task's CloudWatch log stream. The awslogs driver names it `<prefix>/<container>/<task id>`, and the task
 * definitions use the flow's name as prefix.
 */
export class CloudWatchTaskLogs implements TaskLogs {
  constructor(private readonly options: { client: CloudWatchLogsClient; region: string; logGroupPrefix: string }) {}

  link(flow: string, taskArn: string): string {
    // The console's fragment encoding: '/' becomes $252F ("%2F" with '%' itself encoded as "$25").
    const encode = (value: string) => encodeURIComponent(value).replaceAll("%", "$25");
    const { region } = this.options;
    return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#logsV2:log-groups/log-group/${encode(this.group(flow))}/log-events/${encode(stream(flow, taskArn))}`;
  }

  async tail(flow: string, taskArn: string, lines: number): Promise<string[]> {
    const { events = [] } = await this.options.client.send(
      new GetLogEventsCommand({
        logGroupName: this.group(flow),
        logStreamName: stream(flow, taskArn),
        limit: lines,
        startFromHead: false,
      }),
    );
    return events.map((event) => event.message ?? "").filter(Boolean);
  }

  private group(flow: string): string {
    return `${this.options.logGroupPrefix}${flow}`;
  }
}

function stream(flow: string, taskArn: string): string {
  return `${flow}/${FLOW_CONTAINER_NAME}/${taskArn.slice(taskArn.lastIndexOf("/") + 1)}`;
}
