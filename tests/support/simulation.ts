import { Logger } from "@aws-lambda-powertools/logger";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import fc from "fast-check";
import type { ControlPlaneFunctionName } from "../../contracts/control-plane";
import { FUNCTION_TIMEOUT_SECONDS } from "../../contracts/control-plane";
import { FLOW_CONTAINER_NAME, runOverrides, runReferenceOf } from "../../contracts/task-environment";
import type { FlowDefinition } from "../../flows/registry/flow-definition";
import type { FlowRegistry } from "../../flows/registry/flow-registry";
import { defineRegistry } from "../../flows/registry/flow-registry";
import type { DynamoRunStore } from "../../lambdas/adapters/dynamo-run-store";
import { runsTableStores } from "../../lambdas/adapters/runs-table-stores";
import type { ControlPlane } from "../../lambdas/composition-root";
import { composeControlPlane, onlyPorts } from "../../lambdas/composition-root";
import type { EventRoute } from "../../contracts/event-routes";
import { eventRoutes, REAPER_HEARTBEAT, routesOf } from "../../contracts/event-routes";
import { FailureClass, RUN_TASK_REFUSED } from "../../lambdas/core/classify-failure";
import type { LaunchCommand } from "../../contracts/launch-commands";
import type {
  Notifier,
  RunStore,
  TaskControl,
  TaskLauncher,
  TaskLaunchResult,
  TaskLookup,
  TaskRequest,
} from "../../lambdas/core/ports";
import type { RunStateChanged } from "../../contracts/run-events";
import type { Run } from "../../lambdas/core/run";
import { earlierFailures, INFRASTRUCTURE_RETRIES } from "../../lambdas/core/retry-policy";
import { canTransition } from "../../lambdas/core/run-state";
import { isTerminal, RunState } from "../../contracts/run-states";
import { runStateChangedEnvelope } from "../../contracts/run-events";
import type { LocalCluster } from "../../local/ecs-events";
import { clusterArnOf, taskArnOf, taskStateChangeEvent } from "../../local/ecs-events";
import { SeededRandom as Random } from "./seeded-random";

/**
 * A simulated world around the real control plane: the handlers as the composition root wires them, against a real
 * run store (dynalite over HTTP), with ECS, EventBridge, Scheduler, Slack and Lambda's platform simulated on a
 * simulated clock. While faults last, every delivery may be lost, duplicated, delayed or echoed; handlers die after
 * their writes; RunTask throttles, refuses, or answers after starting a task; StopTask, PutEvents and Slack fail or
 * lose their answers; retry schedules fire twice or never; ECS forgets tasks; reaper passes come at random times,
 * concurrently with deliveries. Then the faults stop, the world runs until it is quiet, and the oracle checks it.
 */

const MINUTE = 60_000;
const REAPER_PERIOD_MS = REAPER_HEARTBEAT.periodMinutes * MINUTE;
/** How long faults last, from the first fire. */
const FAULT_PHASE_MS = 45 * MINUTE;
/** Lambda's asynchronous invocation: the first try and two retries (then the dead-letter queue). */
const LAMBDA_ASYNC_TRIES = 3;
/** EventBridge retries a target for up to 24 hours (185 times); the world gives up long before. */
const EVENTBRIDGE_TRIES = 60;

/** Percentages (0-40) of each kind of fault while faults last. Shrinking turns kinds off, naming the ones that matter. */
export interface FaultMix {
  eventLoss: number;
  eventDuplicate: number;
  eventDelay: number;
  echo: number;
  taskForgotten: number;
  runTaskThrottle: number;
  runTaskCrashAfter: number;
  runTaskCapacity: number;
  runTaskRefused: number;
  stopTaskError: number;
  putEventsError: number;
  crashAfterWrite: number;
  slackNotDelivered: number;
  slackLostResponse: number;
  alerterKilled: number;
  retryScheduleLost: number;
  retryScheduleTwice: number;
  extraReaperPass: number;
}

export interface RunSpec {
  /** Index into the simulated flows. */
  flow: number;
  kind: "schedule" | "manual";
  /** Minutes after the start of the world the fire is due. */
  atMinute: number;
  /** Scheduler deliveries of a scheduled fire (at least once). */
  deliveries: number;
}

export interface Scenario {
  seed: number;
  runs: RunSpec[];
  faults: FaultMix;
  /** RunTask never succeeds for this flow, even after the faults stop: its runs must end FAILED, not wait forever. */
  brokenFlow: number | null;
}

const rate = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 25 }));
export const faultMixArbitrary: fc.Arbitrary<FaultMix> = fc.record({
  eventLoss: rate,
  eventDuplicate: rate,
  eventDelay: rate,
  echo: rate,
  taskForgotten: rate,
  runTaskThrottle: rate,
  runTaskCrashAfter: rate,
  runTaskCapacity: rate,
  runTaskRefused: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 })),
  stopTaskError: rate,
  putEventsError: rate,
  crashAfterWrite: rate,
  slackNotDelivered: rate,
  slackLostResponse: rate,
  alerterKilled: rate,
  retryScheduleLost: rate,
  retryScheduleTwice: rate,
  extraReaperPass: rate,
});

export const scenarioArbitrary: fc.Arbitrary<Scenario> = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  runs: fc.array(
    fc.record({
      flow: fc.integer({ min: 0, max: 3 }),
      kind: fc.constantFrom<RunSpec["kind"]>("schedule", "schedule", "manual"),
      atMinute: fc.integer({ min: 0, max: 20 }),
      deliveries: fc.integer({ min: 1, max: 3 }),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  faults: faultMixArbitrary,
  brokenFlow: fc.oneof(fc.constant(null), fc.constant(null), fc.constant(null), fc.integer({ min: 0, max: 3 })),
});

/** Many runs of one flow at once: more active runs than one page of the reaper's query holds. */
export const crowdArbitrary: fc.Arbitrary<Scenario> = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  runs: fc.integer({ min: 55, max: 70 }).map((count) =>
    Array.from({ length: count }, (_, index) => ({
      flow: 1,
      kind: "manual" as const,
      atMinute: index % 5,
      deliveries: 1,
    })),
  ),
  faults: faultMixArbitrary,
  brokenFlow: fc.constant(null),
});

const SILENT = new Logger({ logLevel: "SILENT" });
const CLUSTER: LocalCluster = { region: "eu-west-1", account: "111122223333", name: "data-flows-sim" };
export const SIMULATED_CLUSTER = clusterArnOf(CLUSTER);
/**
 * The simulated flows of one history: retries 0 and 2, an overlap-skip flow, and one downstream of the retrying flow.
 * Their names carry the history's prefix, so histories sharing a table never see each other's runs, locks or queries.
 */
export function simulationRegistry(prefix: string): FlowRegistry {
  return defineRegistry([
    { name: `${prefix}-r0`, description: "s", owner: "@sim", retries: 0, overlap: "allow", timeoutMinutes: 30 },
    { name: `${prefix}-r2`, description: "s", owner: "@sim", retries: 2, overlap: "allow", timeoutMinutes: 30 },
    { name: `${prefix}-skip`, description: "s", owner: "@sim", retries: 1, overlap: "skip", timeoutMinutes: 20 },
    {
      name: `${prefix}-after`,
      description: "s",
      owner: "@sim",
      retries: 1,
      overlap: "allow",
      upstream: [`${prefix}-r2`],
    },
  ]);
}
const SKIP_FLOW = 2;

interface SimTask {
  taskArn: string;
  taskId: string;
  runId: string;
  flow: string;
  attempt: number;
  environment: { name: string; value: string }[];
  startAt: number;
  /** When it stops (undefined: runs until stopped: past its timeout). */
  stopAt?: number;
  exitCode?: number;
  stopCode?: string;
  /** Its STOPPED event is lost and ECS forgets it once stopped. */
  forgotten: boolean;
}

type DeliveryKind = ControlPlaneFunctionName;
interface Delivery {
  id: number;
  /** Seeds the delivery's own choices, so they never depend on how concurrent deliveries interleave. */
  seed: number;
  dueAt: number;
  fn: DeliveryKind;
  event: unknown;
  tries: number;
  maxTries: number;
}

/** Counts by fault kind, as injected. */
export type FaultCounts = Record<string, number>;

export interface SimulationResult {
  runs: Run[];
  violations: string[];
  deliveries: number;
  faults: FaultCounts;
  /** Every invocation and how it ended, when asked for (`trace: true`): the story of a counterexample. */
  trace?: string[];
}

/** Where the simulated worlds keep their runs: a dynalite table and a client to it. */
export interface SimulationStore {
  runs: DynamoRunStore;
  client: DynamoDBDocumentClient;
}

/** Plays one scenario with its own flows (`index` tells histories apart) and checks the oracle. */
export async function simulate(
  scenario: Scenario,
  store: SimulationStore,
  index: number,
  options: { trace?: boolean } = {},
): Promise<SimulationResult> {
  return new World(scenario, store, index, options.trace ? [] : undefined).play();
}

class World {
  private readonly random: Random;
  private now: number;
  private readonly start: number;
  private readonly faultsEnd: number;
  private readonly queue: Delivery[] = [];
  private nextId = 0;
  private deliveries = 0;
  private readonly faults: FaultCounts = {};
  private readonly tasks = new Map<string, SimTask>();
  private readonly tokens = new Map<string, string>();
  private readonly published: RunStateChanged[] = [];
  private readonly posts: string[] = [];
  private readonly prefix: string;
  private readonly runIds = new Set<string>();
  private readonly store: DynamoRunStore;
  private readonly client: DynamoDBDocumentClient;
  private readonly registry: FlowRegistry;
  private readonly routes: readonly EventRoute[];

  constructor(
    private readonly scenario: Scenario,
    { runs: store, client }: SimulationStore,
    index: number,
    private readonly trace?: string[],
  ) {
    this.store = store;
    this.client = client;
    this.random = new Random(scenario.seed);
    this.start = Date.UTC(2100, 0, 1);
    this.now = this.start;
    this.faultsEnd = this.start + FAULT_PHASE_MS;
    this.prefix = `h${index.toString(36)}`;
    this.registry = simulationRegistry(this.prefix);
    this.routes = eventRoutes({ clusterArn: SIMULATED_CLUSTER, upstreamFlows: this.registry.upstreamFlows });
  }

  /**
   * The control plane as the composition root wires it, to the world's ports, for one invocation: its faults drawn
   * from its own `random`; `killed` marks an alerter that dies mid-post and never gives its claim back.
   */
  private compose(random: Random, killed: boolean): ControlPlane {
    const clock = { now: () => new Date(this.now) };
    const { flowState, backfills, markers } = runsTableStores({
      client: this.client,
      tableName: this.store.tableName,
      retentionDays: 30,
      now: clock.now,
    });
    return composeControlPlane(
      onlyPorts("the simulation", {
        registry: this.registry,
        runs: this.crashingStore(random),
        flowState,
        backfills,
        tasks: this.ecs(random),
        taskControl: this.ecs(random),
        events: { publish: (change) => this.publish(change, random) },
        retries: {
          schedule: async (command, at) => {
            if (this.fault("retryScheduleLost", random)) return;
            this.enqueue("launcher", command, at.getTime(), LAMBDA_ASYNC_TRIES, random);
            if (this.fault("retryScheduleTwice", random)) {
              this.enqueue("launcher", command, at.getTime() + MINUTE, LAMBDA_ASYNC_TRIES, random);
            }
          },
          // A withdrawn schedule may fire all the same (its deletion raced the firing): the launcher must cope.
          cancel: async () => undefined,
        },
        launches: {
          send: async (command: LaunchCommand) =>
            this.enqueue("launcher", command, this.now + 1000, LAMBDA_ASYNC_TRIES, random),
        },
        markers: killed
          ? {
              claim: (runId, key, options) => markers.claim(runId, key, options),
              complete: (runId, key, delivery) => markers.complete(runId, key, delivery),
              release: async () => undefined, // a killed invocation never gets to give its claim back
            }
          : markers,
        notifier: this.slack(random, killed),
        taskLogs: { link: () => "", tail: async () => [] },
        clock,
        nonces: {
          nonce: () =>
            random
              .below(36 ** 6)
              .toString(36)
              .padStart(10, "0"),
        },
        logger: SILENT,
      }),
      {
        environment: "sim",
        clusterArn: SIMULATED_CLUSTER,
        retryBaseDelaySeconds: 60,
        reapLimits: {
          pageSize: 7,
          pendingGraceSeconds: 120,
          launchDeadlineSeconds: 15 * 60,
          silenceMinutes: 15,
          safetyMarginMs: 10_000,
        },
      },
    );
  }

  async play(): Promise<SimulationResult> {
    for (const spec of this.scenario.runs) {
      const flow = this.registry.flows[spec.flow]!;
      const due = this.start + spec.atMinute * MINUTE;
      if (spec.kind === "schedule") {
        const command = { kind: "schedule", flow: flow.name, scheduledTime: new Date(due).toISOString() };
        for (let copy = 0; copy < spec.deliveries; copy += 1) {
          this.enqueue("launcher", command, due + copy * 7_000, LAMBDA_ASYNC_TRIES);
        }
      } else {
        this.enqueue("launcher", { kind: "manual", flow: flow.name, params: {} }, due, 1);
      }
    }
    for (let at = this.start + REAPER_PERIOD_MS; at < this.faultsEnd + 30 * 60 * MINUTE; at += REAPER_PERIOD_MS) {
      this.enqueue("reaper", undefined, at, 1);
    }
    let idlePasses = 0;
    while (this.queue.length > 0) {
      this.queue.sort((a, b) => a.dueAt - b.dueAt || a.seed - b.seed);
      const first = this.queue[0]!;
      this.now = Math.max(this.now, first.dueAt);
      const ready = this.queue.filter((delivery) => delivery.dueAt <= this.now);
      // Up to three ready deliveries at once: real concurrency through the store.
      const batch: Delivery[] = [];
      const width = 1 + this.random.below(Math.min(3, ready.length));
      for (let taken = 0; taken < width; taken += 1) {
        const picked = ready.splice(this.random.below(ready.length), 1)[0]!;
        batch.push(picked);
        this.queue.splice(this.queue.indexOf(picked), 1);
      }
      if (this.inFaults() && this.fault("extraReaperPass")) {
        batch.push(this.delivery("reaper", undefined, this.now, 1, this.random));
      }
      await Promise.all(batch.map((delivery) => this.deliver(delivery)));
      if (first.fn === "reaper" && this.now > this.faultsEnd) {
        // Quiet: nothing but reaper passes left, and every run ended with nothing owed.
        const others = this.queue.some((delivery) => delivery.fn !== "reaper");
        idlePasses = others ? 0 : idlePasses + 1;
        if (!others && idlePasses >= 2 && (await this.settled())) break;
      }
    }
    const runs = await this.allRuns();
    const violations = await this.check(runs);
    return {
      runs,
      violations,
      deliveries: this.deliveries,
      faults: this.faults,
      ...(this.trace && { trace: this.trace }),
    };
  }

  private inFaults(): boolean {
    return this.now < this.faultsEnd;
  }

  /** Whether a fault of this kind happens now (only while faults last), counting it. */
  private fault(kind: keyof FaultMix, random: Random = this.random): boolean {
    if (!this.inFaults() || !random.percent(this.scenario.faults[kind])) return false;
    this.faults[kind] = (this.faults[kind] ?? 0) + 1;
    return true;
  }

  private delivery(fn: DeliveryKind, event: unknown, dueAt: number, maxTries: number, random: Random): Delivery {
    return { id: this.nextId++, seed: random.below(2 ** 31), fn, event, dueAt, tries: 0, maxTries };
  }

  private enqueue(
    fn: DeliveryKind,
    event: unknown,
    dueAt: number,
    maxTries: number,
    random: Random = this.random,
  ): void {
    this.queue.push(this.delivery(fn, event, dueAt, maxTries, random));
  }

  /** One invocation, as Lambda runs it: with its deadline; a failure is retried by the platform later. */
  private async deliver(delivery: Delivery): Promise<void> {
    this.deliveries += 1;
    delivery.tries += 1;
    const deadline = new Date(this.now + FUNCTION_TIMEOUT_SECONDS[delivery.fn] * 1000);
    const random = new Random(delivery.seed + delivery.tries * 0x9e3779b1);
    const plane = this.compose(random, delivery.fn === "alerter" && this.fault("alerterKilled", random));
    try {
      await plane[delivery.fn]()(delivery.event, { deadline });
      this.trace?.push(`${new Date(this.now).toISOString()} ${describe(delivery)} → ok`);
    } catch (error) {
      this.trace?.push(`${new Date(this.now).toISOString()} ${describe(delivery)} → ${(error as Error).message}`);
      if (delivery.tries < delivery.maxTries) {
        // Lambda's async retries come after 1 and 2 minutes; EventBridge backs off up to minutes; a killed
        // invocation is retried after its timeout.
        const backoff =
          delivery.fn === "launcher" ? delivery.tries * MINUTE : Math.min(delivery.tries * 30_000, 10 * MINUTE);
        this.queue.push({ ...delivery, dueAt: Math.max(this.now, deadline.getTime()) + backoff });
      } else {
        this.faults.deadLettered = (this.faults.deadLettered ?? 0) + 1;
      }
    }
  }

  /** The run store, dying now and then right after a successful write (a Lambda killed mid-invocation). */
  private crashingStore(random: Random): RunStore {
    const store = this.store;
    const crash = () => {
      if (this.fault("crashAfterWrite", random)) throw new Error("the function died right after its write");
    };
    return {
      create: async (run) => {
        this.runIds.add(run.runId);
        const result = await store.create(run);
        crash();
        return result;
      },
      get: (runId) => store.get(runId),
      transition: async (request) => {
        const result = await store.transition(request);
        if (result.applied) crash();
        return result;
      },
      listByFlow: (flow, options) => store.listByFlow(flow, options),
      listActivePage: (flow, options) => store.listActivePage(flow, options),
      noteLaunchError: (runId, attempt, error) => store.noteLaunchError(runId, attempt, error),
      noteRedrive: (runId, attempt) => store.noteRedrive(runId, attempt),
      settle: (runId, ended) => store.settle(runId, ended),
      acquireLock: (flow, runId, at, stale) => store.acquireLock(flow, runId, at, stale),
      releaseLock: (flow, runId) => store.releaseLock(flow, runId),
      lockHolder: (flow) => store.lockHolder(flow),
    };
  }

  /** EventBridge's PutEvents and the stack's rules: one delivery per rule that matches. */
  private async publish(change: RunStateChanged, random: Random): Promise<void> {
    if (this.fault("putEventsError", random)) throw new Error("PutEvents: InternalFailure");
    this.published.push(change);
    const envelope = runStateChangedEnvelope(change);
    for (const route of routesOf(this.routes, envelope)) {
      this.enqueue(route.target, envelope, this.now + 500, EVENTBRIDGE_TRIES, random);
    }
  }

  /** Slack: counts every post that reached it, including those whose answer was lost. */
  private slack(random: Random, killed: boolean): Notifier {
    return {
      post: async (message) => {
        if (killed) throw new Error("killed at its timeout, mid-post");
        if (this.fault("slackNotDelivered", random)) throw new Error("connection refused: nothing reached Slack");
        this.posts.push(message.text);
        return this.fault("slackLostResponse", random) ? "uncertain" : "confirmed";
      },
    };
  }

  /** ECS: RunTask idempotent on the client token, tasks that run and stop on the world's clock, and their events. */
  private ecs(random: Random): TaskLauncher & TaskControl {
    return {
      runTask: async (request: TaskRequest): Promise<TaskLaunchResult> => {
        const flow = this.registry.require(request.flow);
        if (this.scenario.brokenFlow !== null && this.registry.flows[this.scenario.brokenFlow]!.name === flow.name) {
          throw Object.assign(new Error("Rate exceeded (this flow's launches never work)"), {
            name: "ThrottlingException",
          });
        }
        if (this.fault("runTaskThrottle", random)) {
          throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
        }
        // A client token already used answers with its task (RunTask is idempotent on it); only a new launch can be
        // refused or find no capacity.
        const existing = this.tokens.get(request.clientToken);
        if (!existing && this.fault("runTaskRefused", random)) {
          return {
            ok: false,
            refused: true,
            reason: `${RUN_TASK_REFUSED} (ClientException): TaskDefinition is inactive`,
          };
        }
        if (!existing && this.fault("runTaskCapacity", random)) {
          return {
            ok: false,
            reason: "Capacity is unavailable at this time. Please try again later or in a different availability zone",
          };
        }
        const taskArn = existing ?? this.startTask(flow, request, random);
        if (this.fault("runTaskCrashAfter", random)) throw new Error("socket hang up (after RunTask started the task)");
        return { ok: true, taskArn };
      },
      stopTask: async (taskArn: string): Promise<void> => {
        if (this.fault("stopTaskError", random)) throw new Error("ServerException: StopTask failed");
        const task = this.tasks.get(taskArn);
        if (!task || (task.stopAt !== undefined && task.stopAt <= this.now)) return;
        task.stopAt = this.now + 10_000;
        task.exitCode = 143;
        task.stopCode = "UserInitiated";
        this.emit(task, "STOPPED", 6, task.stopAt, random);
      },
      describeTasks: async (taskArns: readonly string[]): Promise<Map<string, TaskLookup>> => {
        const lookups = new Map<string, TaskLookup>();
        for (const taskArn of taskArns) {
          const task = this.tasks.get(taskArn);
          const stopped = task?.stopAt !== undefined && task.stopAt <= this.now;
          if (!task || (stopped && task.forgotten)) {
            lookups.set(taskArn, { found: false });
            continue;
          }
          lookups.set(taskArn, {
            found: true,
            task: {
              taskArn,
              clusterArn: SIMULATED_CLUSTER,
              run: runReferenceOf([{ name: FLOW_CONTAINER_NAME, environment: task.environment }])!,
              version: stopped ? 6 : 3,
              lastStatus: stopped ? "STOPPED" : "RUNNING",
              containers: [{ name: FLOW_CONTAINER_NAME, ...(stopped && { exitCode: task.exitCode! }) }],
              ...(stopped && { stopCode: task.stopCode! }),
            },
          });
        }
        return lookups;
      },
    };
  }

  /** A new task: how it ends is the world's choice (0 most often; 1; 78; 137; or running past its timeout). */
  private startTask(flow: FlowDefinition, request: TaskRequest, random: Random): string {
    const taskId = `${this.prefix}-${this.tasks.size}-${request.attempt}`;
    const taskArn = taskArnOf(CLUSTER, taskId);
    this.tokens.set(request.clientToken, taskArn);
    const roll = random.below(100);
    const overrun = roll >= 92;
    const task: SimTask = {
      taskArn,
      taskId,
      runId: request.runId,
      flow: flow.name,
      attempt: request.attempt,
      environment: runOverrides(request),
      startAt: this.now,
      forgotten: this.fault("taskForgotten", random),
    };
    if (!overrun) {
      task.stopAt = this.now + (1 + random.below(Math.max(1, flow.timeoutMinutes - 10))) * MINUTE;
      task.exitCode = roll < 55 ? 0 : roll < 85 ? 1 : roll < 89 ? 78 : 137;
      task.stopCode = "EssentialContainerExited";
    }
    this.tasks.set(taskArn, task);
    this.emit(task, "RUNNING", 3, this.now + 30_000, random);
    if (task.stopAt !== undefined) this.emit(task, "STOPPED", 6, task.stopAt, random);
    return taskArn;
  }

  /** An ECS Task State Change event of the rule's statuses, as EventBridge delivers it: maybe lost, doubled, late. */
  private emit(task: SimTask, lastStatus: "RUNNING" | "STOPPED", version: number, at: number, random: Random): void {
    if (lastStatus === "STOPPED" && task.forgotten) return;
    const stopped = lastStatus === "STOPPED";
    const event = taskStateChangeEvent(
      {
        cluster: CLUSTER,
        taskId: task.taskId,
        family: `data-flows-sim-${task.flow}`,
        cpu: 256,
        memoryMiB: 512,
        startedBy: `df/${task.flow}`,
        environment: task.environment,
        createdAt: new Date(task.startAt).toISOString(),
      },
      {
        lastStatus,
        version,
        at: new Date(at).toISOString(),
        startedAt: new Date(task.startAt).toISOString(),
        ...(stopped && {
          stoppedAt: new Date(at).toISOString(),
          exitCode: task.exitCode!,
          stopCode: task.stopCode!,
          stoppedReason:
            task.stopCode === "UserInitiated" ? "Task stopped by user" : "Essential container in task exited",
        }),
      },
    );
    for (const { target } of routesOf(this.routes, event)) {
      if (this.fault("eventLoss", random)) continue;
      const delay = this.fault("eventDelay", random) ? random.below(30) * MINUTE : 0;
      this.enqueue(target, event, at + delay, EVENTBRIDGE_TRIES, random);
      if (this.fault("eventDuplicate", random)) {
        this.enqueue(target, event, at + delay + random.below(10) * MINUTE, EVENTBRIDGE_TRIES, random);
      }
      // An echo: the same event again long after, when a later attempt may be running.
      if (this.fault("echo", random)) {
        this.enqueue(target, event, at + (60 + random.below(120)) * MINUTE, EVENTBRIDGE_TRIES, random);
      }
    }
  }

  private async allRuns(): Promise<Run[]> {
    const runs = await Promise.all([...this.runIds].map((runId) => this.store.get(runId)));
    return runs.filter((run): run is Run => run !== undefined);
  }

  /** Every run ended, nothing owed, no lock held. */
  private async settled(): Promise<boolean> {
    const runs = await this.allRuns();
    if (runs.some((run) => !isTerminal(run.state) || run.settlement)) return false;
    return (await this.store.lockHolder(this.skipFlow)) === undefined;
  }

  private get skipFlow(): string {
    return this.registry.flows[SKIP_FLOW]!.name;
  }

  /** The oracle. */
  private async check(runs: Run[]): Promise<string[]> {
    const violations: string[] = [];
    const tasksOf = (runId: string) => [...this.tasks.values()].filter((task) => task.runId === runId);
    for (const run of runs) {
      const flow = this.registry.require(run.flow);
      const v = (message: string) => violations.push(`${run.runId} (${run.state}, attempt ${run.attempt}): ${message}`);
      const tasks = tasksOf(run.runId);

      // Every run ends, within its deadline plus a reaper period of the faults stopping.
      if (!isTerminal(run.state)) v("never ended");
      const endedAt = Date.parse(run.history.at(-1)!.at);
      const allowance =
        (1 + flow.retries + INFRASTRUCTURE_RETRIES + 1) * (flow.timeoutMinutes + 30) * MINUTE + 2 * REAPER_PERIOD_MS;
      if (isTerminal(run.state) && endedAt > Math.max(this.faultsEnd, Date.parse(run.createdAt)) + allowance) {
        v(`ended only at ${new Date(endedAt).toISOString()}, past its allowance`);
      }
      if (run.settlement) v("ended, but still owes its settlement");

      // The history never leaves a terminal state and makes only allowed moves.
      run.history.forEach((entry, i) => {
        const previous = run.history[i - 1];
        if (!previous) return;
        if (isTerminal(previous.state)) v(`history continues after ${previous.state}: ${entry.state}`);
        else if (!canTransition(previous.state, entry.state)) v(`history moves ${previous.state} -> ${entry.state}`);
      });

      // One task per attempt, never two tasks of a run at once, none beyond the current attempt.
      const attempts = tasks.map((task) => task.attempt);
      if (new Set(attempts).size !== attempts.length) v(`two tasks for one attempt: ${attempts.join(",")}`);
      if (attempts.some((attempt) => attempt > run.attempt)) v(`a task for attempt ${Math.max(...attempts)}`);
      for (const [a, b] of pairs(tasks))
        if (overlap(a, b)) v(`tasks of attempts ${a.attempt} and ${b.attempt} ran at once`);

      // The attempt budget is the flow's: its own failures retried at most `retries` times.
      const failures = earlierFailures(run);
      const flowFailures = failures.filter((f) => f === FailureClass.flowError || f === FailureClass.unknown).length;
      if (flowFailures > flow.retries)
        v(`${flowFailures} of its own failures retried; the flow allows ${flow.retries}`);
      const platform: FailureClass[] = [FailureClass.capacity, FailureClass.spotInterruption, FailureClass.hostLost];
      const infra = failures.filter((f) => platform.includes(f)).length;
      if (infra > INFRASTRUCTURE_RETRIES) v(`${infra} infrastructure retries`);

      // The ending agrees with what ECS saw.
      const last = tasks.find((task) => task.attempt === run.attempt);
      const cleanSuccess =
        last?.exitCode === 0 &&
        last.stopCode === "EssentialContainerExited" &&
        !last.forgotten &&
        last.stopAt !== undefined &&
        last.stopAt < Date.parse(run.deadline);
      if (run.state === RunState.SUCCEEDED && !(last?.exitCode === 0 && last.stopCode === "EssentialContainerExited")) {
        v("SUCCEEDED without its task exiting 0");
      }
      if (cleanSuccess && run.state !== RunState.SUCCEEDED) v("its last task exited 0 in time, yet it did not succeed");

      // Every ending and every failed attempt is announced at least once, and paged exactly once.
      const announced = (to: RunState, attempt: number) =>
        this.published.some((change) => change.runId === run.runId && change.to === to && change.attempt === attempt);
      const paged = (to: RunState, attempt: number) =>
        this.posts.filter((text) => alertKey(text) === `${run.runId}#${attempt}#${to}`).length;
      if (isTerminal(run.state) && !announced(run.state, run.attempt)) v(`its ending ${run.state} was never announced`);
      for (const entry of run.history.filter((e) => e.state === RunState.RETRYING)) {
        if (!announced(RunState.RETRYING, entry.attempt)) v(`failed attempt ${entry.attempt} was never announced`);
        const count = paged(RunState.RETRYING, entry.attempt);
        if (count !== 1) v(`failed attempt ${entry.attempt} was paged ${count} times`);
      }
      if (([RunState.FAILED, RunState.TIMED_OUT, RunState.LOST, RunState.SKIPPED] as RunState[]).includes(run.state)) {
        const count = paged(run.state, run.attempt);
        if (count !== 1) v(`its ending ${run.state} was paged ${count} times`);
      }
    }

    // A skip flow never runs two runs at once; nothing holds its lock once everything ended.
    const skipTasks = [...this.tasks.values()].filter((task) => task.flow === this.skipFlow);
    for (const [a, b] of pairs(skipTasks)) {
      if (a.runId !== b.runId && overlap(a, b))
        violations.push(`${this.skipFlow} ran ${a.runId} and ${b.runId} at once`);
    }
    const holder = await this.store.lockHolder(this.skipFlow);
    if (holder) violations.push(`${this.skipFlow}'s lock is still held by ${holder.runId}`);
    return violations;
  }
}

/** `<runId>#<attempt>#<state>` of a run alert, read from its text ("… in sim, run <id>, attempt <n> of <m>…"). */
function alertKey(text: string): string | undefined {
  const match = / (failed|timed out|lost|attempt failed|skipped) in sim, run (\S+), attempt (\d+) of/.exec(text);
  if (!match) return undefined;
  const states: Record<string, string> = {
    failed: "FAILED",
    "timed out": "TIMED_OUT",
    lost: "LOST",
    "attempt failed": "RETRYING",
    skipped: "SKIPPED",
  };
  const state = states[match[1]!];
  return `${match[2]}#${match[3]}#${state}`;
}

/** One line about an invocation's input, for traces. */
function describe(delivery: Delivery): string {
  const detail = (delivery.event as { detail?: Record<string, unknown> } | undefined)?.detail;
  let summary = JSON.stringify(delivery.event ?? {});
  if (delivery.fn === "recorder" && detail) {
    const overrides = detail.overrides as { containerOverrides?: Parameters<typeof runReferenceOf>[0] } | undefined;
    const run = runReferenceOf(overrides?.containerOverrides);
    summary = `${String(detail.lastStatus)} v${String(detail.version)} of ${run?.runId}#${run?.attempt}`;
  } else if (delivery.fn === "alerter" && detail) {
    summary = `${String(detail.runId)}#${String(detail.attempt)} ${String(detail.to)}`;
  }
  return `${delivery.fn} (try ${delivery.tries}) ${summary}`;
}

function* pairs<T>(items: readonly T[]): Generator<[T, T]> {
  for (let i = 0; i < items.length; i += 1) for (let j = i + 1; j < items.length; j += 1) yield [items[i]!, items[j]!];
}

function overlap(a: SimTask, b: SimTask): boolean {
  const end = (task: SimTask) => task.stopAt ?? Infinity;
  return a.startAt < end(b) && b.startAt < end(a);
}
