import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DeleteCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { AlertMarkers } from "../core/ports";
import { RUNS_TABLE } from "../../contracts/runs-table";
import { alertMarkerKey, expiresAt } from "./runs-table-keys";

/** Alert markers as items beside their run (`RUN#<runId>` / `ALERT#<key>`), expiring with it. */
export class DynamoAlertMarkers implements AlertMarkers {
  constructor(
    private readonly options: {
      client: DynamoDBDocumentClient;
      tableName: string;
      retentionDays: number;
      now: () => Date;
    },
  ) {}

  async claim(runId: string, key: string): Promise<boolean> {
    try {
      await this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: {
            ...alertMarkerKey(runId, key),
            claimedAt: this.options.now().toISOString(),
            [RUNS_TABLE.ttlAttribute]: expiresAt(this.options.now(), this.options.retentionDays),
          },
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": RUNS_TABLE.partitionKey },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async release(runId: string, key: string): Promise<void> {
    await this.options.client.send(
      new DeleteCommand({ TableName: this.options.tableName, Key: alertMarkerKey(runId, key) }),
    );
  }
}
