import type { LambdaClient } from "@aws-sdk/client-lambda";
import { InvokeCommand } from "@aws-sdk/client-lambda";
import type { LaunchCommand } from "../../contracts/launch-commands";
import type { LaunchQueue } from "../core/ports";

/** Hands the launcher a command as Lambda's asynchronous invocation: retried by Lambda, dead-lettered after. */
export class LambdaLaunchQueue implements LaunchQueue {
  constructor(private readonly options: { client: LambdaClient; functionName: string }) {}

  async send(command: LaunchCommand): Promise<void> {
    await this.options.client.send(
      new InvokeCommand({
        FunctionName: this.options.functionName,
        InvocationType: "Event",
        Payload: Buffer.from(JSON.stringify(command)),
      }),
    );
  }
}
