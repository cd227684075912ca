import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DeleteCommand, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { FlowPause, FlowStateStore, Watermark } from "../core/ports";
import { conditionalWrite } from "./conditional-write";
import { pauseKey, watermarkKey } from "./runs-table-keys";

/**
 * Pauses and watermarks as items of the runs table under their flow (`FLOW#<flow>` / `PAUSE`, `WATERMARK`). They never
 * expire: a pause lasts until an operator lifts it, a watermark until a later success moves it.
 */
export class DynamoFlowState implements FlowStateStore {
  constructor(private readonly options: { client: DynamoDBDocumentClient; tableName: string }) {}

  async pause(flow: string, pause: FlowPause): Promise<FlowPause> {
    const put = await conditionalWrite(
      this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: { ...pauseKey(flow), ...pause },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      ),
    );
    if (put.written) return pause;
    return (await this.pauseOf(flow)) ?? this.pause(flow, pause); // lifted in between: pause again
  }

  async resume(flow: string): Promise<FlowPause | undefined> {
    const { Attributes } = await this.options.client.send(
      new DeleteCommand({ TableName: this.options.tableName, Key: pauseKey(flow), ReturnValues: "ALL_OLD" }),
    );
    return Attributes ? pauseOfItem(Attributes) : undefined;
  }

  async pauseOf(flow: string): Promise<FlowPause | undefined> {
    const { Item } = await this.options.client.send(
      new GetCommand({ TableName: this.options.tableName, Key: pauseKey(flow), ConsistentRead: true }),
    );
    return Item ? pauseOfItem(Item) : undefined;
  }

  async watermarkOf(flow: string): Promise<Watermark | undefined> {
    const { Item } = await this.options.client.send(
      new GetCommand({ TableName: this.options.tableName, Key: watermarkKey(flow), ConsistentRead: true }),
    );
    return Item
      ? { value: Item.value as string, runId: Item.runId as string, committedAt: Item.committedAt as string }
      : undefined;
  }

  async commitWatermark(flow: string, watermark: Watermark): Promise<"advanced" | "kept"> {
    const put = await conditionalWrite(
      this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: { ...watermarkKey(flow), ...watermark },
          // Only forward: a success that arrives late (an older backfill slot, a redelivered event) never moves it back.
          ConditionExpression: "attribute_not_exists(pk) OR #value < :value",
          ExpressionAttributeNames: { "#value": "value" },
          ExpressionAttributeValues: { ":value": watermark.value },
        }),
      ),
    );
    return put.written ? "advanced" : "kept";
  }
}

function pauseOfItem(item: Record<string, unknown>): FlowPause {
  return {
    pausedBy: item.pausedBy as string,
    pausedAt: item.pausedAt as string,
    ...(typeof item.reason === "string" && { reason: item.reason }),
  };
}
