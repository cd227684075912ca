import { GetFunctionUrlConfigCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadRegistry } from "../../flows/index";
import { runCliCapturing } from "../support/cli";
import { startLauncherUrlServer } from "../support/launcher-url-server";

const registry = loadRegistry();
const NOW = new Date("2026-03-20T12:00:00Z");

/** The CLI with `--env dev`, its AWS clients mocked (aws-sdk-client-mock): what it sends is the assertion. */
const cli = (...argv: string[]) =>
  runCliCapturing(["--env", "dev", ...argv], {
    dataDir: mkdtempSync(join(tmpdir(), "data-flows-aws-")),
    registry,
    now: () => NOW,
    sleep: async () => undefined,
  });

describe("operator commands against a deployed environment (--env dev)", () => {
  const lambda = mockClient(LambdaClient);
  const dynamo = mockClient(DynamoDBDocumentClient);
  // dev's launcher URL, checking each request's SigV4 signature with the credentials the tests' environment sets.
  let url: Awaited<ReturnType<typeof startLauncherUrlServer>>;
  beforeAll(async () => {
    url = await startLauncherUrlServer({ credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  });
  afterAll(() => url.close());
  const answer = (body: unknown) => url.respond({ status: 200, body: JSON.stringify(body) });
  const sent = () => {
    expect(lambda.commandCalls(GetFunctionUrlConfigCommand)[0]!.args[0].input).toEqual({
      FunctionName: "data-flows-dev-launcher",
    });
    expect(url.received).toHaveLength(1);
    expect(url.received[0]!.signatureValid).toBe(true);
    return url.received[0]!.body as Record<string, unknown>;
  };
  beforeEach(() => {
    lambda.reset();
    dynamo.reset();
    url.received.length = 0;
    lambda.on(GetFunctionUrlConfigCommand).resolves({ FunctionUrl: url.url });
  });

  it("cancel invokes dev's launcher with the run, who and why", async () => {
    answer({ status: "cancelled", runId: "hello-world/m20260320T1100Z-abcdefghij", state: "CANCELLED" });
    const result = await cli("cancel", "hello-world/m20260320T1100Z-abcdefghij", "--reason", "runaway");
    expect(result).toMatchObject({ code: 0, out: "cancelled hello-world/m20260320T1100Z-abcdefghij" });
    expect(sent()).toEqual({
      kind: "cancel",
      flow: "hello-world",
      runId: "hello-world/m20260320T1100Z-abcdefghij",
      requestedBy: expect.any(String),
      reason: "runaway",
    });
  });

  it("pause and resume invoke dev's launcher for the flow", async () => {
    answer({ status: "paused", flow: "orders-daily", pause: { pausedBy: "ana", pausedAt: NOW.toISOString() } });
    expect((await cli("pause", "orders-daily")).code).toBe(0);
    expect(sent()).toEqual({ kind: "pause", flow: "orders-daily", requestedBy: expect.any(String) });
    url.received.length = 0;
    answer({ status: "not-paused", flow: "orders-daily" });
    expect(await cli("resume", "orders-daily")).toMatchObject({ code: 0, out: "orders-daily was not paused" });
    expect(sent()).toEqual({ kind: "resume", flow: "orders-daily", requestedBy: expect.any(String) });
  });

  it("rerun invokes dev's launcher with the run and a request id, so a retried invoke starts one run", async () => {
    answer({ status: "launched", runId: "orders-daily/m20260320T1200Z-0123456789", state: "STARTING" });
    await cli("rerun", "orders-daily/20260302T0600Z");
    expect(sent()).toEqual({
      kind: "rerun",
      flow: "orders-daily",
      runId: "orders-daily/20260302T0600Z",
      requestedBy: expect.any(String),
      requestId: expect.stringMatching(/^[a-z0-9]{10}$/),
    });
  });

  it("backfill sends the range as instants of the flow's own timezone (whole days)", async () => {
    answer({ status: "backfill-created", backfill: { backfillId: "x", slotCount: 10, maxConcurrent: 3 }, runs: [] });
    const result = await cli(
      "backfill",
      "orders-daily",
      "--from",
      "2026-03-01",
      "--to",
      "2026-03-10",
      "--max-concurrent",
      "3",
      "--detach",
    );
    expect(result.code).toBe(0);
    // orders-daily runs in Europe/London, on GMT until 29 March.
    expect(sent()).toEqual({
      kind: "backfill",
      flow: "orders-daily",
      from: "2026-03-01T00:00:00.000Z",
      to: "2026-03-10T23:59:59.999Z",
      maxConcurrent: 3,
      params: {},
      requestedBy: expect.any(String),
    });
  });

  it("backfill --status reads the backfill and its runs from dev's runs table", async () => {
    dynamo.on(GetCommand).callsFake(async (input: { Key: { pk: string } }) =>
      input.Key.pk.startsWith("BACKFILL#")
        ? {
            Item: {
              backfillId: "orders-daily/20260301T000000Z-20260302T235959Z",
              flow: "orders-daily",
              from: "2026-03-01T00:00:00.000Z",
              to: "2026-03-02T23:59:59.999Z",
              schedule: { cron: "0 6 * * *", timezone: "Europe/London" },
              slotCount: 2,
              maxConcurrent: 1,
              params: {},
              requestedBy: "ana",
              createdAt: "2026-03-20T11:00:00.000Z",
              state: "ACTIVE",
              lanes: [1],
            },
          }
        : { Item: undefined },
    );
    const result = await cli("backfill", "--status", "orders-daily/20260301T000000Z-20260302T235959Z", "--json");
    expect(result.code).toBe(0);
    const keys = dynamo
      .commandCalls(GetCommand)
      .map((call) => [call.args[0].input.TableName, call.args[0].input.Key!.pk]);
    expect(keys).toEqual([
      ["data-flows-dev-runs", "BACKFILL#orders-daily/20260301T000000Z-20260302T235959Z"],
      ["data-flows-dev-runs", "RUN#orders-daily/b20260301T0600Z"],
      ["data-flows-dev-runs", "RUN#orders-daily/b20260302T0600Z"],
    ]);
  });

  it("runs --trigger --since queries dev's byFlow index for the time range, filtered", async () => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    expect((await cli("runs", "--flow", "orders-daily", "--trigger", "backfill", "--since", "1d")).code).toBe(0);
    expect(dynamo.commandCalls(QueryCommand)[0]!.args[0].input).toMatchObject({
      TableName: "data-flows-dev-runs",
      IndexName: "byFlow",
      KeyConditionExpression: "#pk = :pk AND #sk >= :since",
      FilterExpression: "#trigger = :trigger",
      ExpressionAttributeValues: {
        ":pk": "FLOW#orders-daily",
        ":since": "2026-03-19T12:00:00.000Z",
        ":trigger": "backfill",
      },
      ScanIndexForward: false,
    });
  });

  it("flows reads each flow's pause from dev's runs table", async () => {
    dynamo.on(GetCommand).resolves({ Item: undefined });
    const result = await cli("flows", "--json");
    expect(result.code).toBe(0);
    const keys = dynamo
      .commandCalls(GetCommand)
      .map((call) => `${call.args[0].input.Key!.pk}/${call.args[0].input.Key!.sk}`);
    expect(keys).toEqual(expect.arrayContaining(["FLOW#orders-daily/PAUSE", "FLOW#watermark-demo/WATERMARK"]));
  });
});
