import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { ECSServiceException } from "@aws-sdk/client-ecs";
import { DynamoRunStore } from "../lambdas/adapters/dynamo-run-store";
import { localDocumentClient, startDynaliteServer } from "../local/dynalite-server";
import { ensureRunsTable } from "../local/ensure-runs-table";
import { taskArnOfStarted } from "./ecs-lifecycle";
import type { Rows } from "./report";
import { exact, percentile, seededRandom } from "./stats";
import { VirtualTime } from "./virtual-time";
import type { PublisherPort, RetriesPort, TaskLauncherPort, TaskRequestOf } from "./world";
import { benchRegistry, composeBench } from "./world";

/**
 * The throttles a burst of launches meets, with their sources. RunTask on Fargate is limited twice per account and
 * Region: the RunTask API itself, and the rate at which Fargate launches tasks (one per call here).
 */
const execFileAsync = promisify(execFile);

export const ECS_LIMITS = {
  runTaskApi: {
    burst: 20,
    perSecond: 20,
    source:
      "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/throttling.html#fargate-throttling-runtask — " +
      '"The rate quota for calling the Amazon ECS RunTask API is 20 calls per second (burst and sustained)" (Fargate)',
  },
  fargateTaskLaunches: {
    burst: 100,
    perSecond: 20,
    source:
      "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/throttling.html — Fargate resource rate quota for " +
      "On-Demand ECS tasks: bucket maximum capacity 100, refill 20 per second",
  },
};

/**
 * How the platform treats a throttled or failed launch (documented) and how long each remote call takes (assumed:
 * these latencies are not measured here, there is no AWS; they set the pace of the simulation).
 */
export const BURST_MODEL = {
  /** SDK standard retry mode, @smithy/core util-retry as installed: 3 attempts, full-jitter backoff from 1 s (throttling). */
  sdk: { maxAttempts: 3, throttlingBaseMs: 1000, maxDelayMs: 20_000, retryQuota: 500, throttlingRetryCost: 5 },
  /**
   * Lambda asynchronous invocation (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html):
   * a function error is retried after 1 minute, then 2 minutes; a throttled event returns to the queue and is retried
   * from 1 s, exponentially, up to 5 minutes apart, for up to the maximum event age.
   */
  lambda: { errorRetryDelaysMs: [60_000, 120_000], throttleFirstMs: 1000, throttleMaxMs: 300_000 },
  assumedLatencyMs: { dynamodb: 5, runTask: 150, putEvents: 20, createSchedule: 30 },
};

class TokenBucket {
  private tokens: number;
  private last = 0;
  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
  ) {
    this.tokens = capacity;
  }
  /** Refills up to `now`; true (and one token spent) if a token is there. */
  take(now: number, spend: boolean): boolean {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    if (spend) this.tokens -= 1;
    return true;
  }
}

interface Slot {
  busy: boolean;
  warm: boolean;
  /** The SDK client's retry quota in this execution environment (one ECS client per container). */
  retryQuota: number;
}

interface QueuedEvent {
  payload: unknown;
  firstAt: number;
  errors: number;
  throttles: number;
}

/**
 * How Lambda hands queued events to a function at its concurrency limit. `backoff`: as documented, a throttled event
 * goes back to the queue and is retried 1 s later, doubling up to 5 minutes (equal jitter added, an assumption). `fifo`:
 * an idealised queue that hands the next event to the first free execution environment: a lower bound on lateness.
 */
export type LambdaQueueModel = "backoff" | "fifo";

export interface BurstResult {
  queue: LambdaQueueModel;
  flows: number;
  drainSeconds: number;
  lastTaskStartSeconds: number;
  invocations: number;
  coldStarts: number;
  lambdaThrottles: number;
  functionErrors: number;
  deadLettered: number;
  expired: number;
  runTaskCalls: number;
  runTaskThrottled: number;
  tasksStarted: number;
  duplicateTasks: number;
  latenessSeconds: { p50: number; p99: number; max: number };
  runsByState: Record<string, number>;
  strandedRuns: number;
  realSeconds: number;
}

/**
 * Section 5: N flows whose schedules fire in the same minute, through the real launcher (composed control plane,
 * DynamoRunStore on dynalite), with a RunTask stand-in that enforces the ECS/Fargate token buckets, the SDK's retries,
 * and the launcher's reserved concurrency with Lambda's asynchronous retry policy, in simulated time.
 */
export async function simulateBurst(
  flows: number,
  platform: { reservedConcurrency: number; asyncMaxRetries: number; maxEventAgeSeconds: number; coldInitMs: number },
  queue: LambdaQueueModel,
  seed = 1,
): Promise<BurstResult> {
  const realStart = Date.now();
  const sim = new VirtualTime();
  const random = seededRandom(seed);
  const epoch = Date.UTC(2026, 2, 2, 10, 0, 0);
  const tableName = `bench-burst-${flows}`;
  const server = await startDynaliteServer({ port: 0, tableName: "bench-burst-unused" });
  const tables = new DynamoDBClient({
    endpoint: server.endpoint,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  await ensureRunsTable(tables, tableName);
  const client = localDocumentClient(server.endpoint);
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      await sim.sleep(BURST_MODEL.assumedLatencyMs.dynamodb);
      return result;
    },
    { step: "initialize", name: "benchSimulatedLatency" },
  );
  const runs = new DynamoRunStore({ client, tableName, retentionDays: 30 });
  const registry = benchRegistry(flows, "burst");

  const apiBucket = new TokenBucket(ECS_LIMITS.runTaskApi.burst, ECS_LIMITS.runTaskApi.perSecond);
  const launchBucket = new TokenBucket(ECS_LIMITS.fargateTaskLaunches.burst, ECS_LIMITS.fargateTaskLaunches.perSecond);
  const tasksByToken = new Map<string, string>();
  const tasksPerAttempt = new Map<string, Set<string>>();
  const firstStart = new Map<string, number>();
  const counts = {
    runTaskCalls: 0,
    runTaskThrottled: 0,
    invocations: 0,
    coldStarts: 0,
    lambdaThrottles: 0,
    functionErrors: 0,
    deadLettered: 0,
    expired: 0,
  };
  const sdk = BURST_MODEL.sdk;

  const tasks = {
    runTask: async (request: TaskRequestOf) => {
      const slot = sim.data<Slot>()!;
      for (let attempt = 0; ; attempt += 1) {
        await sim.sleep(BURST_MODEL.assumedLatencyMs.runTask);
        counts.runTaskCalls += 1;
        const now = sim.time();
        const known = tasksByToken.get(request.clientToken);
        // An idempotent repeat returns the task already started; it still passes through the API's bucket.
        const allowed = apiBucket.take(now, true) && (known !== undefined || launchBucket.take(now, true));
        if (allowed) {
          slot.retryQuota = Math.min(sdk.retryQuota, slot.retryQuota + (attempt ? sdk.throttlingRetryCost : 1));
          let taskArn = known;
          if (!taskArn) {
            const task = {
              taskId: `b${tasksByToken.size}`,
              flow: request.flow,
              runId: request.runId,
              attempt: request.attempt,
              params: request.params,
              dataInterval: request.dataInterval,
              startedBy: request.startedBy,
            };
            taskArn = taskArnOfStarted(task);
            tasksByToken.set(request.clientToken, taskArn);
            const key = `${request.runId}#${request.attempt}`;
            (tasksPerAttempt.get(key) ?? tasksPerAttempt.set(key, new Set()).get(key)!).add(taskArn);
            if (!firstStart.has(request.runId)) firstStart.set(request.runId, now);
          }
          return { ok: true as const, taskArn };
        }
        counts.runTaskThrottled += 1;
        if (attempt + 1 >= sdk.maxAttempts || slot.retryQuota < sdk.throttlingRetryCost) {
          throw new ECSServiceException({
            name: "ThrottlingException",
            $fault: "client",
            $metadata: { httpStatusCode: 400, attempts: attempt + 1 },
            message: "Rate exceeded",
          });
        }
        slot.retryQuota -= sdk.throttlingRetryCost;
        await sim.sleep(Math.floor(random() * Math.min(sdk.throttlingBaseMs * 2 ** attempt, sdk.maxDelayMs)));
      }
    },
  } as unknown as TaskLauncherPort;

  const events = {
    publish: async () => {
      await sim.sleep(BURST_MODEL.assumedLatencyMs.putEvents);
    },
  } as unknown as PublisherPort;
  const retries = {
    schedule: async (command: unknown, at: Date) => {
      await sim.sleep(BURST_MODEL.assumedLatencyMs.createSchedule);
      sim.at(at.getTime() - epoch, () => deliver({ payload: command, firstAt: sim.now, errors: 0, throttles: 0 }));
    },
  } as unknown as RetriesPort;

  const plane = composeBench({
    registry,
    runs,
    tasks,
    events,
    retries,
    clock: { now: () => new Date(epoch + sim.time()) },
  });
  const launcher = plane.launcher();
  const slots: Slot[] = Array.from({ length: platform.reservedConcurrency }, () => ({
    busy: false,
    warm: false,
    retryQuota: sdk.retryQuota,
  }));

  const waiting: QueuedEvent[] = [];
  const deliver = (event: QueuedEvent) => {
    if (sim.now - event.firstAt > platform.maxEventAgeSeconds * 1000) {
      counts.expired += 1;
      return;
    }
    const slot = slots.find((candidate) => !candidate.busy);
    if (slot) return start(event, slot);
    counts.lambdaThrottles += 1;
    event.throttles += 1;
    if (queue === "fifo") return void waiting.push(event);
    // Exponential from 1 s to 5 min, with equal jitter (half fixed, half random) so retries do not move in lockstep.
    const interval = Math.min(
      BURST_MODEL.lambda.throttleFirstMs * 2 ** (event.throttles - 1),
      BURST_MODEL.lambda.throttleMaxMs,
    );
    sim.at(sim.now + interval / 2 + random() * (interval / 2), () => deliver(event));
  };
  const start = (event: QueuedEvent, slot: Slot) => {
    slot.busy = true;
    void sim.spawn(slot, async () => {
      counts.invocations += 1;
      if (!slot.warm) {
        counts.coldStarts += 1;
        await sim.sleep(platform.coldInitMs);
        slot.warm = true;
      }
      let failed = false;
      try {
        await launcher(event.payload);
      } catch {
        failed = true;
      }
      slot.busy = false;
      if (failed) {
        counts.functionErrors += 1;
        event.errors += 1;
        if (event.errors > platform.asyncMaxRetries) counts.deadLettered += 1;
        else {
          const delays = BURST_MODEL.lambda.errorRetryDelaysMs;
          sim.at(sim.time() + (delays[event.errors - 1] ?? delays.at(-1)!), () => deliver(event));
        }
      }
      const next = waiting.shift();
      if (next) start(next, slot);
    });
  };

  // Every schedule fires at 10:00:00; EventBridge Scheduler hands each to Lambda's asynchronous queue.
  for (const flow of registry.flows) {
    sim.at(0, () =>
      deliver({
        payload: { kind: "schedule", flow: flow.name, scheduledTime: new Date(epoch).toISOString() },
        firstAt: 0,
        errors: 0,
        throttles: 0,
      }),
    );
  }
  const drained = await sim.run();

  const runsByState: Record<string, number> = {};
  let stranded = 0;
  let startKey: Record<string, never> | undefined;
  do {
    const page = await tables.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) {
      const state = item.state?.S;
      if (!item.runId || !state) continue;
      runsByState[state] = (runsByState[state] ?? 0) + 1;
      if (state === "PENDING" && !item.taskArn) stranded += 1;
    }
    startKey = page.LastEvaluatedKey as typeof startKey;
  } while (startKey);
  tables.destroy();
  client.destroy();
  await server.close();

  const lateness = [...firstStart.values()].sort((a, b) => a - b).map((ms) => ms / 1000);
  let duplicates = 0;
  for (const set of tasksPerAttempt.values()) duplicates += set.size - 1;
  return {
    queue,
    flows,
    drainSeconds: drained / 1000,
    lastTaskStartSeconds: lateness.at(-1) ?? NaN,
    ...counts,
    tasksStarted: tasksByToken.size,
    duplicateTasks: duplicates,
    latenessSeconds: { p50: percentile(lateness, 50), p99: percentile(lateness, 99), max: lateness.at(-1) ?? NaN },
    runsByState,
    strandedRuns: stranded,
    realSeconds: (Date.now() - realStart) / 1000,
  };
}

/** Section 5 rows: one seeded simulation per size and queue model (the same seed gives the same figures every run). */
export async function benchBurst(
  rows: Rows,
  sizes: number[],
  platform: Parameters<typeof simulateBurst>[1],
  models: LambdaQueueModel[] = ["fifo", "backoff"],
): Promise<BurstResult[]> {
  const results: BurstResult[] = [];
  rows.add("model: RunTask API bucket (Fargate), burst", exact(ECS_LIMITS.runTaskApi.burst), "calls", {
    note: `refills ${ECS_LIMITS.runTaskApi.perSecond}/s; ${ECS_LIMITS.runTaskApi.source}`,
  });
  rows.add("model: Fargate task launch bucket, burst", exact(ECS_LIMITS.fargateTaskLaunches.burst), "tasks", {
    note: `refills ${ECS_LIMITS.fargateTaskLaunches.perSecond}/s; ${ECS_LIMITS.fargateTaskLaunches.source}`,
  });
  rows.add(
    "model: launcher concurrency (reserved, from the stack)",
    exact(platform.reservedConcurrency),
    "executions",
    {
      note: `async retries ${platform.asyncMaxRetries}, max event age ${platform.maxEventAgeSeconds} s; cold init ${platform.coldInitMs.toFixed(0)} ms; latencies assumed ${JSON.stringify(BURST_MODEL.assumedLatencyMs)} ms`,
    },
  );
  // Two simulations at a time, each in its own process: simulated time makes them independent of each other.
  const jobs = sizes.flatMap((flows) => models.map((queue) => ({ flows, queue }))).sort((a, b) => b.flows - a.flows); // the longest first
  const finished = new Map<string, BurstResult>();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(2, jobs.length) }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        const { stdout } = await execFileAsync(
          process.execPath,
          [
            "--import",
            "tsx",
            join(__dirname, "burst-child.ts"),
            String(job.flows),
            job.queue,
            JSON.stringify(platform),
          ],
          { cwd: join(__dirname, ".."), maxBuffer: 16 * 1024 * 1024, env: process.env },
        );
        finished.set(`${job.flows}/${job.queue}`, JSON.parse(stdout) as BurstResult);
      }
    }),
  );
  for (const flows of sizes) {
    for (const queue of models) {
      const result = finished.get(`${flows}/${queue}`)!;
      results.push(result);
      const n = `${flows.toLocaleString("en")} flows, ${queue === "fifo" ? "queue waits for a free slot" : "throttled events back off"}`;
      const one = (value: number) => exact(value);
      rows.add(`${n}: time to drain (last invocation ends)`, one(result.drainSeconds), "s (simulated)", {
        note: `last task started at ${result.lastTaskStartSeconds.toFixed(1)} s; simulated in ${result.realSeconds.toFixed(0)} s of real time`,
      });
      rows.add(`${n}: lateness of task start, p50`, one(result.latenessSeconds.p50), "s", {
        note: `scheduled minute → RunTask success; ${result.tasksStarted} of ${flows} runs got a task`,
      });
      rows.add(`${n}: lateness of task start, p99`, one(result.latenessSeconds.p99), "s", {
        note: `max ${result.latenessSeconds.max.toFixed(1)} s`,
      });
      rows.add(`${n}: RunTask calls throttled`, one(result.runTaskThrottled), "calls", {
        note: `of ${result.runTaskCalls} RunTask calls, SDK retries included`,
      });
      rows.add(`${n}: launcher invocations failed`, one(result.functionErrors), "invocations", {
        note: `of ${result.invocations} (${result.coldStarts} cold); ${result.lambdaThrottles} Lambda throttles at concurrency ${platform.reservedConcurrency}`,
      });
      rows.add(`${n}: events dead-lettered after async retries`, one(result.deadLettered + result.expired), "events", {
        note: `${result.strandedRuns} runs left PENDING without a task (the reaper re-drives them); ${JSON.stringify(result.runsByState)}`,
      });
      rows.add(`${n}: duplicate tasks (must be 0)`, one(result.duplicateTasks), "tasks");
    }
  }
  return results;
}
