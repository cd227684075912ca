import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Backfill, BackfillStore } from "../core/ports";
import { RUNS_TABLE } from "../../contracts/runs-table";
import { conditionalWrite } from "./conditional-write";
import { ACTIVE_BACKFILLS_PARTITION, backfillKey, expiresAt } from "./runs-table-keys";
import { attr, expr, WriteExpression } from "./write-expression";

const INTERNAL = [
  RUNS_TABLE.partitionKey,
  RUNS_TABLE.sortKey,
  RUNS_TABLE.ttlAttribute,
  RUNS_TABLE.indexes.active.partitionKey,
  RUNS_TABLE.indexes.active.sortKey,
];

/**
 * Backfills as items of the runs table (`BACKFILL#<id>` / `BACKFILL`), in the active index while ACTIVE, expiring
 * as runs do once ended. An item is small (a few numbers per lane), so every lane move costs one write unit.
 */
export class DynamoBackfillStore implements BackfillStore {
  constructor(private readonly options: { client: DynamoDBDocumentClient; tableName: string; retentionDays: number }) {}

  async create(backfill: Backfill): Promise<{ created: boolean; backfill: Backfill }> {
    const active = RUNS_TABLE.indexes.active;
    const put = await conditionalWrite(
      this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: {
            ...backfill,
            ...backfillKey(backfill.backfillId),
            [active.partitionKey]: ACTIVE_BACKFILLS_PARTITION,
            [active.sortKey]: `${backfill.createdAt}#${backfill.backfillId}`,
            // No expiry while it runs, however long: it gets one when it ends (`finish`).
          },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      ),
    );
    if (put.written) return { created: true, backfill };
    const existing = await this.get(backfill.backfillId);
    if (!existing) throw put.refusal;
    return { created: false, backfill: existing };
  }

  async get(backfillId: string): Promise<Backfill | undefined> {
    const { Item } = await this.options.client.send(
      new GetCommand({ TableName: this.options.tableName, Key: backfillKey(backfillId), ConsistentRead: true }),
    );
    return Item ? toBackfill(Item) : undefined;
  }

  async advanceLane(backfillId: string, lane: number, from: number, to: number): Promise<Backfill | undefined> {
    const update = await conditionalWrite(
      this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: backfillKey(backfillId),
          UpdateExpression: `SET lanes[${lane}] = :to`,
          ConditionExpression: `lanes[${lane}] = :from AND #state = :active`,
          ExpressionAttributeNames: { "#state": "state" },
          ExpressionAttributeValues: { ":from": from, ":to": to, ":active": "ACTIVE" },
          ReturnValues: "ALL_NEW",
        }),
      ),
    );
    return update.written ? toBackfill(update.output.Attributes!) : undefined;
  }

  async finish(
    backfillId: string,
    ending: { state: "DONE" | "CANCELLED" | "FAILED"; at: string; reason?: string },
  ): Promise<Backfill | undefined> {
    const active = RUNS_TABLE.indexes.active;
    const ended = new WriteExpression()
      .when(expr`${attr("state")} = ${"ACTIVE"}`)
      .set("state", ending.state)
      .set("endedAt", ending.at)
      .set(RUNS_TABLE.ttlAttribute, expiresAt(ending.at, this.options.retentionDays))
      .remove(active.partitionKey, active.sortKey);
    if (ending.reason) ended.set("reason", ending.reason);
    const update = await conditionalWrite(
      this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: backfillKey(backfillId),
          ...ended.build(),
          ReturnValues: "ALL_NEW",
        }),
      ),
    );
    return update.written ? toBackfill(update.output.Attributes!) : this.get(backfillId); // or it ended already
  }

  async listActive(options: { limit: number }): Promise<Backfill[]> {
    const active = RUNS_TABLE.indexes.active;
    const { Items = [] } = await this.options.client.send(
      new QueryCommand({
        TableName: this.options.tableName,
        IndexName: active.name,
        KeyConditionExpression: "#pk = :pk",
        ExpressionAttributeNames: { "#pk": active.partitionKey },
        ExpressionAttributeValues: { ":pk": ACTIVE_BACKFILLS_PARTITION },
        Limit: options.limit,
      }),
    );
    return Items.map(toBackfill);
  }
}

function toBackfill(item: Record<string, unknown>): Backfill {
  const backfill = { ...item };
  for (const attribute of INTERNAL) delete backfill[attribute];
  return backfill as unknown as Backfill;
}
