import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { join } from "node:path";
import { ensureRunsTable } from "../../local/ensure-runs-table";
import { startDynaliteServer } from "../../local/dynalite-server";
import { ecsEvent, FIXTURE_CLUSTER_ARN } from "../support/fixtures";
import { lambdaBundles } from "../support/synth";

const TABLE = "data-flows-dev-runs";

/**
 * The recorder as the stack deploys it: its esbuild bundle, in a fresh Node process, with a function's environment,
 * handling a real-shaped ECS event against dynalite (reached through the SDK's own AWS_ENDPOINT_URL_DYNAMODB).
 */
describe("the deployed recorder bundle", () => {
  let dynalite: Awaited<ReturnType<typeof startDynaliteServer>>;
  let bundle: string;

  beforeAll(async () => {
    dynalite = await startDynaliteServer({ port: 0, tableName: "unused" });
    const client = new DynamoDBClient({
      endpoint: dynalite.endpoint,
      region: "eu-west-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    await ensureRunsTable(client, TABLE);
    client.destroy();
    bundle = join((await lambdaBundles()).recorder, "index.js");
  });
  afterAll(() => dynalite.close());

  /**
   * One invocation of the bundle's handler in its own process; what it returned, or the error it threw. Asynchronous:
   * dynalite answers from this process.
   */
  async function invoke(credentials: Record<string, string>) {
    const script = `
      const { handler } = require(${JSON.stringify(bundle)});
      handler(JSON.parse(process.env.EVENT), {
        invokedFunctionArn: "arn:aws:lambda:eu-west-1:111122223333:function:data-flows-dev-recorder",
        getRemainingTimeInMillis: () => 30000,
      }).then(
        (result) => console.log(JSON.stringify({ result })),
        (error) => console.log(JSON.stringify({ error: error.name + ": " + error.message })),
      );`;
    const { stdout } = await promisify(execFile)(process.execPath, ["--enable-source-maps", "-e", script], {
      encoding: "utf8",
      timeout: 30_000,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: "/nonexistent",
        AWS_REGION: "eu-west-1",
        AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
        POWERTOOLS_LOG_LEVEL: "SILENT",
        EVENT: JSON.stringify(ecsEvent("task-running")),
        EVENT_BUS_NAME: "data-flows-dev",
        RUNS_TABLE_NAME: TABLE,
        RUN_RETENTION_DAYS: "90",
        RETRY_SCHEDULE_GROUP: "data-flows-dev-retries",
        RETRY_ROLE_ARN: "arn:aws:iam::111122223333:role/data-flows-dev-retries",
        RETRY_DEAD_LETTER_ARN: "arn:aws:sqs:eu-west-1:111122223333:data-flows-dev-retries-dlq",
        LAUNCHER_ARN: "arn:aws:lambda:eu-west-1:111122223333:function:data-flows-dev-launcher",
        CLUSTER_ARN: FIXTURE_CLUSTER_ARN,
        RETRY_BASE_DELAY_SECONDS: "60",
        ...credentials,
      },
    });
    return JSON.parse(stdout.trim().split("\n").at(-1)!) as { result?: { status: string }; error?: string };
  }

  it("handles an ECS event with the credentials Lambda puts in its environment", async () => {
    const { result, error } = await invoke({
      AWS_ACCESS_KEY_ID: "ASIAEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "example",
      AWS_SESSION_TOKEN: "token",
    });
    expect(error).toBeUndefined();
    // No run of this task was recorded in the fresh table: the recorder read it and let it be.
    expect(result).toMatchObject({ status: "ignored" });
  });

  it("looks for credentials in the environment only: the SDK's other providers are not in the bundle", async () => {
    expect((await invoke({})).error).toMatch(
      /CredentialsProviderError: Unable to find environment variable credentials/,
    );
  });
});
