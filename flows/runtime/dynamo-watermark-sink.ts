import { ConditionalCheckFailedException, DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { runItemKey, WATERMARK_PROPOSAL_ATTRIBUTE } from "../../contracts/runs-table";
import type { WatermarkSink } from "./flow-context";

/**
 * Writes an attempt's watermark proposal onto its run's item: one attribute, which is all the flow's task role may
 * write (DynamoDB fine-grained access: its own runs' keys, that attribute, nothing read back). The recorder commits it
 * when the attempt SUCCEEDS.
 */
export class DynamoWatermarkSink implements WatermarkSink {
  private readonly client: DynamoDBClient;

  constructor(
    private readonly tableName: string,
    /** Locally, `npm start`'s dynalite; in AWS the SDK's own endpoint (through the VPC's gateway endpoint). */
    endpoint?: string,
  ) {
    this.client = new DynamoDBClient({
      ...(endpoint && {
        endpoint,
        region: "local",
        credentials: { accessKeyId: "local", secretAccessKey: "local" },
      }),
      maxAttempts: 5,
    });
  }

  async propose(proposal: { runId: string; attempt: number; value: string; at: string }): Promise<void> {
    const key = runItemKey(proposal.runId);
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: key.pk }, sk: { S: key.sk } },
          UpdateExpression: "SET #proposal = :proposal",
          // Never create an item: a proposal is for a run the launcher recorded.
          ConditionExpression: "attribute_exists(#pk)",
          ExpressionAttributeNames: { "#proposal": WATERMARK_PROPOSAL_ATTRIBUTE, "#pk": "pk" },
          ExpressionAttributeValues: {
            ":proposal": {
              M: {
                value: { S: proposal.value },
                attempt: { N: String(proposal.attempt) },
                at: { S: proposal.at },
              },
            },
          },
          ReturnValues: "NONE",
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new Error(`run ${proposal.runId} is not in table ${this.tableName}: no watermark can be proposed for it`);
      }
      throw error;
    }
  }

  close(): void {
    this.client.destroy();
  }
}
