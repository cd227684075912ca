import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { PutCommand, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { RUNS_TABLE } from "../contracts/runs-table";
import { DynamoRunStore } from "../lambdas/adapters/dynamo-run-store";
import { startDynaliteServer } from "../local/dynalite-server";
import { ensureRunsTable } from "../local/ensure-runs-table";
import { taskLifecycleEvents } from "./ecs-lifecycle";
import type { Rows } from "./report";
import { ratioOf } from "./report";
import { nowMs, spread } from "./stats";
import {
  benchRegistry,
  composeBench,
  InstantTasks,
  realClock,
  silentPublisher,
  silentRetries,
  slotMinutesBefore,
} from "./world";

const FLOWS = 20;
const CONCURRENCY = 16;

/**
 * Section 2. Events per second the recorder applies (RUNNING then a successful STOPPED for each run: two accepted
 * transitions) against dynalite over HTTP, against the same number of raw conditional UpdateItems on a table of the
 * same shape in the same dynalite, one at a time and 16 at a time. Rounds interleave the four variants.
 */
export async function benchRecorderThroughput(rows: Rows, options: { rounds: number; runsPerRound: number }) {
  const server = await startDynaliteServer({ port: 0, tableName: "bench-recorder-runs" });
  const tables = new DynamoDBClient({
    endpoint: server.endpoint,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  try {
    await ensureRunsTable(tables, "bench-recorder-raw");
    const runs = new DynamoRunStore({ client: server.client, tableName: server.tableName, retentionDays: 30 });
    const registry = benchRegistry(FLOWS, "rec", { overlap: "allow", maxLatenessMinutes: 7 * 24 * 60 });
    const tasks = new InstantTasks();
    const plane = composeBench({
      registry,
      runs,
      tasks: tasks.port,
      events: silentPublisher,
      retries: silentRetries,
      clock: realClock,
    });
    const launcher = plane.launcher();
    const recorder = plane.recorder();
    let nextRun = 0;
    const now = new Date();

    /** Launches `count` runs (untimed) and returns, per run, its RUNNING (v3) and successful STOPPED (v6) events. */
    const prepare = async (count: number) => {
      const events: unknown[][] = [];
      for (let i = 0; i < count; i += 1) {
        const index = nextRun++;
        const flow = `rec-${index % FLOWS}`;
        await launcher({ kind: "schedule", flow, scheduledTime: slotMinutesBefore(now, Math.floor(index / FLOWS)) });
      }
      for (const task of [...tasks.byToken.values()].slice(-count)) {
        const lifecycle = taskLifecycleEvents(task, 0, now);
        events.push([lifecycle[2], lifecycle[5]]);
      }
      return events;
    };

    const recorderSeq: number[] = [];
    const recorderPar: number[] = [];
    const rawSeq: number[] = [];
    const rawPar: number[] = [];
    let notApplied = 0;
    let rawRejected = 0;
    const record = async (pairs: unknown[][], concurrency: number) => {
      const start = nowMs();
      await inParallel(pairs, concurrency, async (pair) => {
        for (const event of pair) {
          const outcome = (await recorder(event)) as { status?: string };
          if (outcome.status !== "applied") notApplied += 1;
        }
      });
      return (pairs.length * 2) / ((nowMs() - start) / 1000);
    };
    const raw = async (items: Record<string, unknown>[], concurrency: number) => {
      const start = nowMs();
      await inParallel(items, concurrency, async (item) => {
        rawRejected += await rawTransitions(server.client, "bench-recorder-raw", item);
      });
      return (items.length * 2) / ((nowMs() - start) / 1000);
    };

    for (let round = 0; round < options.rounds; round += 1) {
      recorderSeq.push(await record(await prepare(options.runsPerRound), 1));
      recorderPar.push(await record(await prepare(options.runsPerRound), CONCURRENCY));
      await prepare(options.runsPerRound * 2); // launched like the others, then copied as stored into the raw table
      const items = await copyFreshRuns(
        server.client,
        server.tableName,
        "bench-recorder-raw",
        options.runsPerRound * 2,
      );
      rawSeq.push(await raw(items.slice(0, options.runsPerRound), 1));
      rawPar.push(await raw(items.slice(options.runsPerRound), CONCURRENCY));
    }
    const note = `${options.rounds} rounds × ${options.runsPerRound} runs × 2 events`;
    const rawSeqSpread = spread(rawSeq);
    const rawParSpread = spread(rawPar);
    rows.add("raw conditional UpdateItem, 1 at a time (baseline)", rawSeqSpread, "updates/s", {
      note: `same item shape and GSIs, ReturnValues NONE; rejected ${rawRejected}`,
    });
    rows.add(`raw conditional UpdateItem, ${CONCURRENCY} at a time (baseline)`, rawParSpread, "updates/s", { note });
    const seq = spread(recorderSeq);
    const par = spread(recorderPar);
    rows.add("recorder events applied, 1 at a time", seq, "events/s", {
      ratio: ratioOf(seq, rawSeqSpread, "raw UpdateItem 1 at a time"),
      note: `${note}; not applied ${notApplied}`,
    });
    rows.add(`recorder events applied, ${CONCURRENCY} at a time`, par, "events/s", {
      ratio: ratioOf(par, rawParSpread, `raw UpdateItem ${CONCURRENCY} at a time`),
      note,
    });
  } finally {
    tables.destroy();
    await server.close();
  }
}

/** Copies the `count` most recently launched runs, as stored, into the raw table (same keys, same attributes). */
async function copyFreshRuns(client: DynamoDBDocumentClient, from: string, to: string, count: number) {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: from, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  const runs = items
    .filter((item) => item.state === "STARTING")
    .sort((a, b) => String(a.createdAt).localeCompare(String(b.createdAt)));
  const copied = runs.slice(-count);
  for (const item of copied) await client.send(new PutCommand({ TableName: to, Item: item }));
  // Mark them so a later round does not copy them again.
  for (const item of copied) {
    await client.send(
      new UpdateCommand({
        TableName: from,
        Key: {
          [RUNS_TABLE.partitionKey]: item[RUNS_TABLE.partitionKey],
          [RUNS_TABLE.sortKey]: item[RUNS_TABLE.sortKey],
        },
        UpdateExpression: "SET #state = :copied",
        ExpressionAttributeNames: { "#state": "state" },
        ExpressionAttributeValues: { ":copied": "COPIED" },
      }),
    );
  }
  return copied;
}

/** The two changes the recorder makes (RUNNING, then SUCCEEDED leaving the active index), as bare conditional updates. */
async function rawTransitions(client: DynamoDBDocumentClient, table: string, item: Record<string, unknown>) {
  const key = {
    [RUNS_TABLE.partitionKey]: item[RUNS_TABLE.partitionKey],
    [RUNS_TABLE.sortKey]: item[RUNS_TABLE.sortKey],
  };
  const at = new Date().toISOString();
  let rejected = 0;
  const steps = [
    { to: "RUNNING", from: ["PENDING", "STARTING"], version: 3, remove: "" },
    {
      to: "SUCCEEDED",
      from: ["RUNNING"],
      version: 6,
      remove: ` REMOVE ${RUNS_TABLE.indexes.active.partitionKey}, ${RUNS_TABLE.indexes.active.sortKey}`,
    },
  ];
  for (const step of steps) {
    try {
      await client.send(
        new UpdateCommand({
          TableName: table,
          Key: key,
          ConditionExpression:
            "attribute_exists(#pk) AND #state IN (:from0, :from1) AND #attempt = :attempt AND (attribute_not_exists(taskVersion) OR taskVersion < :version)",
          UpdateExpression: `SET #state = :to, updatedAt = :at, history = list_append(history, :entry), taskVersion = :version${step.remove}`,
          ExpressionAttributeNames: { "#pk": RUNS_TABLE.partitionKey, "#state": "state", "#attempt": "attempt" },
          ExpressionAttributeValues: {
            ":to": step.to,
            ":from0": step.from[0],
            ":from1": step.from[1] ?? step.from[0],
            ":attempt": item.attempt,
            ":version": step.version,
            ":at": at,
            ":entry": [{ at, state: step.to, attempt: item.attempt, source: "recorder", taskVersion: step.version }],
          },
        }),
      );
    } catch {
      rejected += 1;
    }
  }
  return rejected;
}

/** Runs `work` over `items` with at most `concurrency` in flight. */
export async function inParallel<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}
