import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DeleteCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { AlertMarkers, Delivery } from "../core/ports";
import { RUNS_TABLE } from "../../contracts/runs-table";
import { conditionalWrite } from "./conditional-write";
import { alertMarkerKey, expiresAt } from "./runs-table-keys";

/**
 * Alert markers as items beside their run (`RUN#<runId>` / `ALERT#<key>`), expiring with it: CLAIMED while a post is
 * under way (until the poster's deadline), POSTED once it went out.
 */
export class DynamoAlertMarkers implements AlertMarkers {
  constructor(
    private readonly options: {
      client: DynamoDBDocumentClient;
      tableName: string;
      retentionDays: number;
      now: () => Date;
    },
  ) {}

  async claim(runId: string, key: string, options: { until: Date }): Promise<boolean> {
    const now = this.options.now();
    const put = await conditionalWrite(
      this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: {
            ...alertMarkerKey(runId, key),
            status: "CLAIMED",
            claimedAt: now.toISOString(),
            claimExpiresAt: options.until.toISOString(),
            [RUNS_TABLE.ttlAttribute]: expiresAt(now, this.options.retentionDays),
          },
          // Free, or claimed by a poster whose deadline has passed without completing (it was killed mid-post).
          ConditionExpression: "attribute_not_exists(#pk) OR (#status = :claimed AND claimExpiresAt < :now)",
          ExpressionAttributeNames: { "#pk": RUNS_TABLE.partitionKey, "#status": "status" },
          ExpressionAttributeValues: { ":claimed": "CLAIMED", ":now": now.toISOString() },
        }),
      ),
    );
    return put.written;
  }

  async complete(runId: string, key: string, delivery: Delivery): Promise<void> {
    await this.options.client.send(
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: alertMarkerKey(runId, key),
        UpdateExpression: "SET #status = :posted, delivery = :delivery, postedAt = :at REMOVE claimExpiresAt",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: {
          ":posted": "POSTED",
          ":delivery": delivery,
          ":at": this.options.now().toISOString(),
        },
      }),
    );
  }

  async release(runId: string, key: string): Promise<void> {
    await conditionalWrite(
      this.options.client.send(
        new DeleteCommand({
          TableName: this.options.tableName,
          Key: alertMarkerKey(runId, key),
          // Never give back an alert that went out.
          ConditionExpression: "#status = :claimed",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":claimed": "CLAIMED" },
        }),
      ),
    );
  }
}
