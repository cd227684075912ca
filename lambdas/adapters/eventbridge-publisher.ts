import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { RunEventPublisher } from "../core/ports";
import type { RunStateChanged } from "../../contracts/run-events";
import { RUN_EVENT_DETAIL_TYPE, RUN_EVENT_SOURCE } from "../../contracts/run-events";

/** Publishes run changes to the environment's custom bus, where rules route failures to the alerter. */
export class EventBridgePublisher implements RunEventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(change: RunStateChanged): Promise<void> {
    const { FailedEntryCount, Entries } = await this.client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.busName,
            Source: RUN_EVENT_SOURCE,
            DetailType: RUN_EVENT_DETAIL_TYPE,
            Resources: change.taskArn ? [change.taskArn] : [],
            Detail: JSON.stringify(change),
          },
        ],
      }),
    );
    // PutEvents reports per-entry failures with HTTP 200; throwing lets the platform retry the whole invocation.
    if (FailedEntryCount)
      throw new Error(`PutEvents rejected the event: ${Entries?.[0]?.ErrorCode} ${Entries?.[0]?.ErrorMessage}`);
  }
}
