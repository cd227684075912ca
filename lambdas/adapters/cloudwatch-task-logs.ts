import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import type { EnvironmentNames } from "../../contracts/resource-names";
import { taskIdOf } from "../../contracts/resource-names";
import type { TaskLogs } from "../core/ports";

/** A flow task's CloudWatch log stream, where the task definition's awslogs driver writes it. */
export class CloudWatchTaskLogs implements TaskLogs {
  constructor(private readonly options: { client: CloudWatchLogsClient; region: string; names: EnvironmentNames }) {}

  link(flow: string, taskArn: string): string {
    // The console's fragment encoding: '/' becomes $252F ("%2F" with '%' itself encoded as "$25").
    const encode = (value: string) => encodeURIComponent(value).replaceAll("%", "$25");
    const { region, names } = this.options;
    const stream = names.flowLogStream(flow, taskIdOf(taskArn));
    return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#logsV2:log-groups/log-group/${encode(names.flowLogGroup(flow))}/log-events/${encode(stream)}`;
  }

  async tail(flow: string, taskArn: string, lines: number): Promise<string[]> {
    const { names } = this.options;
    const { events = [] } = await this.options.client.send(
      new GetLogEventsCommand({
        logGroupName: names.flowLogGroup(flow),
        logStreamName: names.flowLogStream(flow, taskIdOf(taskArn)),
        limit: lines,
        startFromHead: false,
      }),
    );
    return events.map((event) => event.message ?? "").filter(Boolean);
  }
}
