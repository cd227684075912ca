import { CloudWatchLogsClient, GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { GetFunctionUrlConfigCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { environments } from "../../.aws/config";
import { connectAws } from "../../cli/aws-target";
import { startUi } from "../../cli/ui/server";
import { loadRegistry } from "../../flows/index";
import { startLauncherUrlServer } from "../support/launcher-url-server";
import { openPageSession } from "../support/page-session";

const registry = loadRegistry();
/** The environment's launcher URL: every command the page sends arrives here, IAM-signed. */
let launcherUrl: Awaited<ReturnType<typeof startLauncherUrlServer>>;
beforeAll(async () => {
  launcherUrl = await startLauncherUrlServer({ credentials: { accessKeyId: "test", secretAccessKey: "test" } });
});
afterAll(() => launcherUrl.close());
beforeEach(() => void (launcherUrl.received.length = 0));
const TASK = "arn:aws:ecs:eu-west-1:111122223333:task/data-flows-prod/5b1e0c7d9a8f4e2b8c6d4f1a2b3c4d5e";
const FAILED_RUN = {
  runId: "orders-daily/20260302T0600Z",
  flow: "orders-daily",
  trigger: "schedule",
  scheduledFor: "2026-03-02T06:00:00.000Z",
  dataInterval: { start: "2026-03-01T06:00:00.000Z", end: "2026-03-02T06:00:00.000Z" },
  params: { warehouse: "TRANSFORMING" },
  state: "FAILED",
  attempt: 3,
  maxAttempts: 3,
  flowRetries: 2,
  createdAt: "2026-03-02T06:00:01.000Z",
  updatedAt: "2026-03-02T06:20:00.000Z",
  startedAt: "2026-03-02T06:15:00.000Z",
  endedAt: "2026-03-02T06:20:00.000Z",
  deadline: "2026-03-02T07:15:00.000Z",
  taskArn: TASK,
  exitCode: 1,
  reason: "Snowflake error 002003: table <ORDERS> does not exist",
  history: [
    {
      at: "2026-03-02T06:20:00.000Z",
      state: "FAILED",
      attempt: 3,
      source: "recorder",
      taskId: "5b1e0c7d9a8f4e2b8c6d4f1a2b3c4d5e",
    },
  ],
};

describe("data-flows ui against a deployed environment (prod, mocked AWS clients)", () => {
  const dynamo = mockClient(DynamoDBDocumentClient);
  const lambda = mockClient(LambdaClient);
  const logs = mockClient(CloudWatchLogsClient);
  let ui: Awaited<ReturnType<typeof startUi>>;
  let target: ReturnType<typeof connectAws>;

  beforeEach(async () => {
    dynamo.reset();
    lambda.reset();
    logs.reset();
    dynamo.on(QueryCommand).callsFake(async (input: { ExpressionAttributeValues: Record<string, string> }) => ({
      Items: input.ExpressionAttributeValues[":pk"] === "FLOW#orders-daily" ? [FAILED_RUN] : [],
    }));
    dynamo.on(GetCommand).callsFake(async (input: { Key: { pk: string; sk: string } }) => ({
      Item:
        input.Key.pk === "RUN#orders-daily/20260302T0600Z"
          ? FAILED_RUN
          : input.Key.pk === "FLOW#dbt-nightly" && input.Key.sk === "PAUSE"
            ? { pausedBy: "ana", pausedAt: "2026-03-02T05:00:00.000Z", reason: "dbt upgrade" }
            : undefined,
    }));
    logs.on(GetLogEventsCommand).resolves({
      events: [{ timestamp: Date.parse("2026-03-02T06:19:59Z"), message: "last line before the <error>" }],
      nextForwardToken: "f/1",
    });
    target = connectAws(
      environments.prod,
      new LambdaClient({ region: "eu-west-1" }),
      new CloudWatchLogsClient({ region: "eu-west-1" }),
    );
    ui = await startUi({ target, registry, env: "prod", allowActions: false, operator: "ana (page)", port: 0 });
  });
  afterEach(async () => {
    await ui.close();
    target.close();
  });

  const get = async (path: string) => {
    const response = await (await openPageSession(ui.url)).fetch(path);
    return { status: response.status, body: await response.text(), headers: response.headers };
  };

  it("renders the flows from prod's runs table: last runs, pauses, the prod banner", async () => {
    const { status, body } = await get("/");
    expect(status).toBe(200);
    expect(body).toContain('class="env-prod"');
    expect(body).toContain('class="square FAILED"');
    expect(body).toMatch(/dbt-nightly[\s\S]*PAUSED[\s\S]*dbt upgrade/);
    const queried = dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(queried.every((input) => input.TableName === "data-flows-prod-runs" && input.IndexName === "byFlow")).toBe(
      true,
    );
  });

  it("renders a run with its attempt, data interval, reason and its CloudWatch log lines, escaped", async () => {
    const { body } = await get(`/run?id=${encodeURIComponent(FAILED_RUN.runId)}`);
    expect(body).toContain("3 of 3");
    expect(body).toMatch(/failure class<\/dt>\s*<dd[^>]*>flow-error</);
    expect(body).toContain("2026-03-01T06:00:00.000Z → 2026-03-02T06:00:00.000Z");
    expect(body).toContain("table &lt;ORDERS&gt; does not exist");
    expect(body).toContain("last line before the &lt;error&gt;");
    expect(logs.commandCalls(GetLogEventsCommand)[0]!.args[0].input).toMatchObject({
      logGroupName: "/data-flows/prod/flows/orders-daily",
      logStreamName: "orders-daily/flow/5b1e0c7d9a8f4e2b8c6d4f1a2b3c4d5e",
    });
  });

  it("offers no actions in prod unless started with --allow-actions, and refuses them", async () => {
    const page = await get(`/run?id=${encodeURIComponent(FAILED_RUN.runId)}`);
    expect(page.body).not.toContain("/actions/rerun");
    expect(page.body).toContain("--allow-actions");
    const token = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? "no-form-no-token";
    const response = await (
      await openPageSession(ui.url)
    ).fetch(`/actions/rerun`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf: token, runId: FAILED_RUN.runId, confirmed: "yes" }),
    });
    expect(response.status).toBe(403);
    expect(launcherUrl.received).toHaveLength(0);
  });

  it("answers only for its own address (a page that rebinds a name to 127.0.0.1 gets nothing)", async () => {
    const { request } = await import("node:http");
    const status = await new Promise<number>((resolve) => {
      const url = new URL(ui.origin);
      request({ host: url.hostname, port: url.port, path: "/", headers: { host: "attacker.example" } }, (response) => {
        response.resume();
        resolve(response.statusCode!);
      }).end();
    });
    expect(status).toBe(421);
  });

  it("shows nothing without the page's key, and refuses a wrong one", async () => {
    expect((await fetch(`${ui.origin}/`)).status).toBe(401);
    expect((await fetch(`${ui.origin}/?key=guess`, { redirect: "manual" })).status).toBe(401);
    expect(dynamo.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it("sends a Content-Security-Policy that runs only its own script", async () => {
    const { headers } = await get("/");
    expect(headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  });
});

describe("actions from the page, allowed (dev)", () => {
  const dynamo = mockClient(DynamoDBDocumentClient);
  const lambda = mockClient(LambdaClient);
  let ui: Awaited<ReturnType<typeof startUi>>;
  let target: ReturnType<typeof connectAws>;
  beforeEach(async () => {
    dynamo.reset();
    lambda.reset();
    dynamo.on(QueryCommand).resolves({ Items: [] });
    dynamo.on(GetCommand).resolves({});
    lambda.on(GetFunctionUrlConfigCommand).resolves({ FunctionUrl: launcherUrl.url });
    target = connectAws(environments.dev, new LambdaClient({ region: "eu-west-1" }));
    ui = await startUi({ target, registry, env: "dev", allowActions: true, operator: "ana (page)", port: 0 });
  });
  afterEach(async () => {
    await ui.close();
    target.close();
  });
  const token = async () =>
    /name="csrf" value="([^"]+)"/.exec(await (await (await openPageSession(ui.url)).fetch("/")).text())![1]!;
  const post = async (path: string, fields: Record<string, string>) =>
    (await openPageSession(ui.url)).fetch(path, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields),
    });

  it("asks before it acts: a first post shows a confirmation, and invokes nothing", async () => {
    const response = await post("/actions/run", { csrf: await token(), flow: "hello-world", "param.steps": "5" });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("Confirm: run");
    expect(launcherUrl.received).toHaveLength(0);
  });

  it("starts a run once confirmed, with the params as the CLI sends them, then shows it", async () => {
    const response = await post("/actions/run", {
      csrf: await token(),
      flow: "hello-world",
      "param.steps": "5",
      confirmed: "yes",
    });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/run?id=hello-world%2Fm1");
    expect(launcherUrl.received).toEqual([
      expect.objectContaining({
        signatureValid: true,
        body: expect.objectContaining({ kind: "manual", flow: "hello-world", params: { steps: "5" } }),
      }),
    ]);
  });

  it("refuses params as the CLI refuses them, naming the param", async () => {
    const response = await post("/actions/run", {
      csrf: await token(),
      flow: "hello-world",
      "param.steps": "many",
      confirmed: "yes",
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("param &quot;steps&quot;: Invalid input: expected number");
    expect(launcherUrl.received).toHaveLength(0);
  });

  it("refuses a post from another origin, token or not", async () => {
    const response = await (
      await openPageSession(ui.url)
    ).fetch(`/actions/pause`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://attacker.example" },
      body: new URLSearchParams({ csrf: await token(), flow: "hello-world", confirmed: "yes" }),
    });
    expect(response.status).toBe(403);
    expect(launcherUrl.received).toHaveLength(0);
  });
});
