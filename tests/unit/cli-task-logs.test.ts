import { CloudWatchLogsClient, GetLogEventsCommand, ResourceNotFoundException } from "@aws-sdk/client-cloudwatch-logs";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { environments, namesOf } from "../../.aws/config";
import { parseSince } from "../../cli/arguments";
import { connectAws } from "../../cli/aws-target";
import { CloudWatchTaskLogReader } from "../../cli/cloudwatch-task-log-reader";
import { LocalTaskLogReader } from "../../cli/local-task-log-reader";
import type { TaskLogReader } from "../../cli/task-log-reader";
import { defineRegistry } from "../../flows/registry/flow-registry";
import { runCliCapturing } from "../support/cli";

const TASK_ID = "0123456789abcdef0123456789abcdef";
const RUN_ID = "hello-world/m20260302T101201Z-3fa9c1k2mq";
const registry = defineRegistry([{ name: "hello-world", description: "d", owner: "@o", retries: 1 }]);

/** Every line of a task's log, read page after page as `data-flows logs` does. */
async function readAll(reader: TaskLogReader, since?: Date) {
  const lines = [];
  let cursor: string | undefined;
  for (let reads = 1; reads < 20; reads += 1) {
    const page = await reader.read("hello-world", TASK_ID, { ...(cursor && { cursor }), ...(since && { since }) });
    lines.push(...page.lines);
    cursor = page.cursor;
    if (page.end) return { lines, reads };
  }
  throw new Error("the log never ended");
}

describe("reading a task's CloudWatch stream", () => {
  const logs = mockClient(CloudWatchLogsClient);
  beforeEach(() => logs.reset());
  const reader = () =>
    new CloudWatchTaskLogReader({ client: new CloudWatchLogsClient({}), names: namesOf(environments.dev) });
  const event = (second: number, message: string) => ({ timestamp: Date.UTC(2026, 2, 2, 10, 0, second), message });

  it("pages forwards from the stream's head with the tokens GetLogEvents returns, until it hands back the same one", async () => {
    logs
      .on(GetLogEventsCommand)
      .resolvesOnce({ events: [event(1, "one"), event(2, "two")], nextForwardToken: "f/1" })
      // A page may be empty and still be followed by more: only a repeated token is the end.
      .resolvesOnce({ events: [], nextForwardToken: "f/2" })
      .resolvesOnce({ events: [event(3, "three")], nextForwardToken: "f/3" })
      .resolvesOnce({ events: [], nextForwardToken: "f/3" });
    const { lines, reads } = await readAll(reader());
    expect(lines).toEqual([
      { message: "one", timestamp: "2026-03-02T10:00:01.000Z" },
      { message: "two", timestamp: "2026-03-02T10:00:02.000Z" },
      { message: "three", timestamp: "2026-03-02T10:00:03.000Z" },
    ]);
    expect(reads).toBe(4);
    const inputs = logs.commandCalls(GetLogEventsCommand).map((call) => call.args[0].input);
    expect(inputs.map((input) => input.nextToken)).toEqual([undefined, "f/1", "f/2", "f/3"]);
    for (const input of inputs) {
      expect(input).toMatchObject({
        logGroupName: "/data-flows/dev/flows/hello-world",
        logStreamName: `hello-world/flow/${TASK_ID}`,
        startFromHead: true,
      });
    }
  });

  it("asks CloudWatch for the lines from --since on", async () => {
    logs.on(GetLogEventsCommand).resolves({ events: [], nextForwardToken: "f/0" });
    await readAll(reader(), new Date("2026-03-02T10:00:00Z"));
    for (const call of logs.commandCalls(GetLogEventsCommand)) {
      expect(call.args[0].input.startTime).toBe(Date.parse("2026-03-02T10:00:00Z"));
    }
  });

  it("reads a stream that does not exist yet (no line logged so far) as an empty log", async () => {
    logs
      .on(GetLogEventsCommand)
      .rejects(new ResourceNotFoundException({ message: "The specified log stream does not exist.", $metadata: {} }));
    expect(await reader().read("hello-world", TASK_ID, {})).toEqual({ lines: [], cursor: "", end: true });
  });

  it("lets a missing log group through, as any other error", async () => {
    logs
      .on(GetLogEventsCommand)
      .rejects(new ResourceNotFoundException({ message: "The specified log group does not exist.", $metadata: {} }));
    await expect(reader().read("hello-world", TASK_ID, {})).rejects.toThrow("log group does not exist");
  });
});

describe("reading a local task's log file", () => {
  const logsDir = mkdtempSync(join(tmpdir(), "data-flows-logs-"));
  const file = join(logsDir, "hello-world", `${TASK_ID}.log`);
  mkdirSync(join(logsDir, "hello-world"));
  const reader = new LocalTaskLogReader(logsDir);
  const json = (second: number, message: string) =>
    JSON.stringify({ level: "INFO", message, timestamp: `2026-03-02T10:00:0${second}.000Z` });

  it("reads a file not written yet as an empty log", async () => {
    expect(await reader.read("hello-world", "f".repeat(32), {})).toEqual({ lines: [], cursor: "", end: true });
  });

  it("carries on from where the last read stopped, leaving a line still being written for the next read", async () => {
    writeFileSync(file, "first\nsecond\nthi");
    const first = await reader.read("hello-world", TASK_ID, {});
    expect(first.lines).toEqual([{ message: "first" }, { message: "second" }]);
    expect(first.end).toBe(true);
    appendFileSync(file, "rd\n");
    const second = await reader.read("hello-world", TASK_ID, { cursor: first.cursor });
    expect(second.lines).toEqual([{ message: "third" }]);
    expect((await reader.read("hello-world", TASK_ID, { cursor: second.cursor })).lines).toEqual([]);
  });

  it("dates the flow runtime's JSON lines, and keeps an undated line with the dated line before it for --since", async () => {
    writeFileSync(file, [json(1, "old"), "old stack line", json(3, "new"), "new stack line", ""].join("\n"));
    const { lines } = await readAll(reader, new Date("2026-03-02T10:00:02Z"));
    expect(lines).toEqual([
      { message: json(3, "new"), timestamp: "2026-03-02T10:00:03.000Z" },
      { message: "new stack line" },
    ]);
  });

  it("remembers across reads whether the last dated line was before --since", async () => {
    writeFileSync(file, [json(1, "old"), ""].join("\n"));
    const since = new Date("2026-03-02T10:00:02Z");
    const first = await reader.read("hello-world", TASK_ID, { since });
    appendFileSync(file, "old stack line\n");
    expect((await reader.read("hello-world", TASK_ID, { cursor: first.cursor, since })).lines).toEqual([]);
  });
});

describe("--since", () => {
  const now = new Date("2026-03-02T12:00:00Z");

  it.each([
    ["90s", "2026-03-02T11:58:30.000Z"],
    ["10m", "2026-03-02T11:50:00.000Z"],
    ["2h", "2026-03-02T10:00:00.000Z"],
    ["1d", "2026-03-01T12:00:00.000Z"],
    ["2026-03-02T09:30:00Z", "2026-03-02T09:30:00.000Z"],
    ["2026-03-02T10:30:00+01:00", "2026-03-02T09:30:00.000Z"],
  ])("takes %s as %s", (value, instant) => {
    expect(parseSince(value)(now).toISOString()).toBe(instant);
  });

  it.each(["10", "10 minutes", "yesterday", "-5m"])("refuses %s", (value) => {
    expect(() => parseSince(value)).toThrow("expected a duration such as 10m");
  });
});

describe("data-flows logs --env dev", () => {
  const dynamo = mockClient(DynamoDBDocumentClient);
  const logs = mockClient(CloudWatchLogsClient);
  const lambda = mockClient(LambdaClient);
  beforeEach(() => {
    dynamo.reset();
    logs.reset();
    lambda.reset();
  });
  afterAll(() => {
    dynamo.restore();
    logs.restore();
    lambda.restore();
  });

  /** A run of hello-world in dev's table that failed its first attempt and succeeded its second. */
  const storedRun = {
    runId: RUN_ID,
    flow: "hello-world",
    trigger: "manual",
    params: {},
    state: "SUCCEEDED",
    attempt: 2,
    maxAttempts: 2,
    flowRetries: 1,
    createdAt: "2026-03-02T10:12:01Z",
    updatedAt: "2026-03-02T10:16:00Z",
    deadline: "2026-03-02T10:20:00Z",
    taskArn: `arn:aws:ecs:eu-west-1:111122223333:task/data-flows-dev/${TASK_ID}`,
    history: [
      { at: "2026-03-02T10:12:01Z", state: "STARTING", attempt: 1, source: "launcher", taskId: "a".repeat(32) },
      { at: "2026-03-02T10:13:00Z", state: "RETRYING", attempt: 1, source: "recorder", taskId: "a".repeat(32) },
      { at: "2026-03-02T10:15:00Z", state: "PENDING", attempt: 2, source: "launcher" },
      { at: "2026-03-02T10:15:01Z", state: "STARTING", attempt: 2, source: "launcher", taskId: TASK_ID },
      { at: "2026-03-02T10:16:00Z", state: "SUCCEEDED", attempt: 2, source: "recorder", taskId: TASK_ID, exitCode: 0 },
    ],
  };
  const cli = (...argv: string[]) =>
    runCliCapturing(["--env", "dev", ...argv], {
      dataDir: "/nonexistent",
      registry,
      sleep: async () => undefined,
    });

  it("reads the run from dev's table and the attempt's task from dev's log group, as JSON lines", async () => {
    dynamo.on(GetCommand).resolves({ Item: storedRun });
    logs
      .on(GetLogEventsCommand)
      .resolvesOnce({
        events: [{ timestamp: Date.UTC(2026, 2, 2, 10, 15, 30), message: "hello" }],
        nextForwardToken: "f/1",
      })
      .resolves({ events: [], nextForwardToken: "f/1" });
    const result = await cli("logs", RUN_ID, "--json");
    expect(result.code).toBe(0);
    expect(result.out.split("\n").map((line) => JSON.parse(line) as unknown)).toEqual([
      { runId: RUN_ID, attempt: 2, taskId: TASK_ID, timestamp: "2026-03-02T10:15:30.000Z", message: "hello" },
    ]);
    expect(result.err).toBe("these are attempt 2's lines; earlier attempts have their own: --attempt 1");
    expect(dynamo.commandCalls(GetCommand)[0]!.args[0].input.TableName).toBe("data-flows-dev-runs");
    expect(logs.commandCalls(GetLogEventsCommand)[0]!.args[0].input).toMatchObject({
      logGroupName: "/data-flows/dev/flows/hello-world",
      logStreamName: `hello-world/flow/${TASK_ID}`,
      startFromHead: true,
    });
  });

  it("finds an earlier attempt's stream by the task id its history recorded", async () => {
    dynamo.on(GetCommand).resolves({ Item: storedRun });
    logs.on(GetLogEventsCommand).resolves({ events: [], nextForwardToken: "f/0" });
    const result = await cli("logs", RUN_ID, "--attempt", "1");
    expect(result).toMatchObject({ code: 0, out: "", err: "" });
    expect(logs.commandCalls(GetLogEventsCommand)[0]!.args[0].input.logStreamName).toBe(
      `hello-world/flow/${"a".repeat(32)}`,
    );
  });

  it("follows an ended attempt to the end of its stream, then waits for the awslogs driver's last batch", async () => {
    dynamo.on(GetCommand).resolves({ Item: storedRun });
    logs
      .on(GetLogEventsCommand)
      .resolvesOnce({ events: [{ timestamp: 1, message: "one" }], nextForwardToken: "f/1" })
      .resolvesOnce({ events: [], nextForwardToken: "f/1" })
      .resolvesOnce({ events: [{ timestamp: 2, message: "late" }], nextForwardToken: "f/2" })
      .resolves({ events: [], nextForwardToken: "f/2" });
    const waits: [number, number][] = [];
    const result = await runCliCapturing(["--env", "dev", "logs", RUN_ID, "--follow"], {
      dataDir: "/nonexistent",
      registry,
      sleep: async (ms) => void waits.push([ms, logs.commandCalls(GetLogEventsCommand).length]),
    });
    expect(result).toMatchObject({ code: 0, out: "one\nlate" });
    // The run had ended: one read of the run, the stream read to its end, one wait, and the late line read after it.
    expect(waits).toEqual([[5_000, 2]]);
    expect(logs.commandCalls(GetLogEventsCommand)).toHaveLength(4);
  });

  it("says in one line that an attempt ended without a task", async () => {
    const neverLaunched = {
      ...storedRun,
      state: "FAILED",
      attempt: 1,
      maxAttempts: 1,
      taskArn: undefined,
      history: [
        { at: "2026-03-02T10:12:01Z", state: "PENDING", attempt: 1, source: "launcher" },
        { at: "2026-03-02T10:20:00Z", state: "FAILED", attempt: 1, source: "reaper", reason: "never launched" },
      ],
    };
    dynamo.on(GetCommand).resolves({ Item: neverLaunched });
    expect(await cli("logs", RUN_ID)).toMatchObject({
      code: 2,
      err: `data-flows: attempt 1 of ${RUN_ID} ended without a task (FAILED: never launched), so it has no log`,
    });
    expect(logs.commandCalls(GetLogEventsCommand)).toHaveLength(0);
  });

  it("says in one line that a run is unknown", async () => {
    dynamo.on(GetCommand).resolves({});
    expect(await cli("logs", "hello-world/nope")).toMatchObject({
      code: 2,
      err: "data-flows: no run hello-world/nope",
    });
  });

  it("connects to dev with a CloudWatch Logs client it closes", () => {
    const target = connectAws(environments.dev);
    expect(target.logs.pollMs).toBeGreaterThanOrEqual(1000);
    target.close();
  });
});
