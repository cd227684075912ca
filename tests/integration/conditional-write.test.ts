import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { conditionalWrite } from "../../lambdas/adapters/conditional-write";
import { startDynalite } from "../support/dynalite";

type Dynalite = Awaited<ReturnType<typeof startDynalite>>;

describe("a conditional write on dynalite", () => {
  let dynamo: Dynalite;
  let tableName: string;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(() => dynamo.close());

  beforeEach(async () => {
    ({ tableName } = await dynamo.freshRunStore());
  });

  const putOnce = (table = tableName) =>
    dynamo.client.send(
      new PutCommand({
        TableName: table,
        Item: { pk: "X", sk: "Y" },
        ConditionExpression: "attribute_not_exists(pk)",
        ReturnConsumedCapacity: "TOTAL",
      }),
    );

  it("is written, with DynamoDB's answer, when its condition holds", async () => {
    const result = await conditionalWrite(putOnce());
    expect(result).toMatchObject({ written: true, output: { ConsumedCapacity: { TableName: tableName } } });
  });

  it("is refused, keeping DynamoDB's refusal, when its condition does not hold", async () => {
    await putOnce();
    const result = await conditionalWrite(putOnce());
    expect(result).toEqual({ written: false, refusal: expect.any(ConditionalCheckFailedException) });
  });

  it("throws any other failure as it came", async () => {
    await expect(conditionalWrite(putOnce("no-such-table"))).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });
  });
});
