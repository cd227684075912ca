import { Logger } from "@aws-lambda-powertools/logger";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { ControlPlaneFunctionName } from "../../contracts/control-plane";
import { FUNCTION_TIMEOUT_SECONDS } from "../../contracts/control-plane";
import type { EventRoute } from "../../contracts/event-routes";
import { eventRoutes, REAPER_HEARTBEAT, routesOf } from "../../contracts/event-routes";
import type { LaunchCommand } from "../../contracts/launch-commands";
import type { RunStateChanged } from "../../contracts/run-events";
import { runStateChangedEnvelope } from "../../contracts/run-events";
import { isTerminal } from "../../contracts/run-states";
import { FLOW_CONTAINER_NAME, runOverrides, runReferenceOf } from "../../contracts/task-environment";
import type { FlowDefinition } from "../../flows/registry/flow-definition";
import type { FlowRegistry } from "../../flows/registry/flow-registry";
import type { DynamoRunStore } from "../../lambdas/adapters/dynamo-run-store";
import { runsTableStores } from "../../lambdas/adapters/runs-table-stores";
import type { ControlPlane } from "../../lambdas/composition-root";
import { composeControlPlane, onlyPorts } from "../../lambdas/composition-root";
import { backfillIdOf } from "../../lambdas/core/backfill-plan";
import { RUN_TASK_REFUSED } from "../../lambdas/core/classify-failure";
import type {
  Backfill,
  FlowStateStore,
  Notifier,
  RunningTask,
  RunStore,
  TaskControl,
  TaskLauncher,
  TaskLaunchResult,
  TaskLookup,
  TaskRequest,
} from "../../lambdas/core/ports";
import type { Run } from "../../lambdas/core/run";
import { requestedRunId, scheduledRunId } from "../../lambdas/core/run-id";
import type { LocalCluster } from "../../local/ecs-events";
import { clusterArnOf, taskArnOf, taskStateChangeEvent } from "../../local/ecs-events";
import { functionUrlRequest } from "./function-url";
import { SeededRandom as Random } from "./seeded-random";
import type { HeldPause, NamedRequest, SimTask } from "./simulation/oracle";
import { violationsOf } from "./simulation/oracle";
import type { CommandSpec, FaultMix, RunSpec, Scenario } from "./simulation/scenario";
import { SCHEDULED_FLOW, SKIP_FLOW, simulationRegistry } from "./simulation/scenario";

export type { CommandSpec, FaultMix, RunSpec, Scenario } from "./simulation/scenario";
export {
  commandArbitrary,
  crowdArbitrary,
  faultMixArbitrary,
  scenarioArbitrary,
  simulationRegistry,
} from "./simulation/scenario";

/**
 * A simulated world around the real control plane: the handlers as the composition root wires them, against a real
 * run store (dynalite over HTTP), with ECS, EventBridge, Scheduler, Slack and Lambda's platform simulated on a
 * simulated clock, and operators sending every command the CLI and the page can (cancel, rerun, pause and resume,
 * backfill and its cancel, manual runs with request ids resent). While faults last, every delivery may be lost,
 * duplicated, delayed or echoed; handlers die after their writes; RunTask throttles, refuses, or answers after starting
 * a task; StopTask, PutEvents and Slack fail or lose their answers; retry schedules fire twice or never; ECS forgets
 * tasks; reaper passes come at random times, concurrently with deliveries. Then the faults stop, the world runs until
 * it is quiet, and the oracle (`simulation/oracle.ts`) checks it. A command or trigger added to the control plane is
 * added here, with its faults, in the same change.
 */

const MINUTE = 60_000;
const REAPER_PERIOD_MS = REAPER_HEARTBEAT.periodMinutes * MINUTE;
/** How long faults last, from the first fire. */
const FAULT_PHASE_MS = 45 * MINUTE;
/** Lambda's asynchronous invocation: the first try and two retries (then the dead-letter queue). */
const LAMBDA_ASYNC_TRIES = 3;
/** EventBridge retries a target for up to 24 hours (185 times); the world gives up long before. */
const EVENTBRIDGE_TRIES = 60;
/** An operator's command is one synchronous invocation: no platform retries it (the operator may send it again). */
const OPERATOR_TRIES = 1;
/** Who operators' commands say they are from; the launcher records the principal its URL authenticated instead. */
const OPERATOR = "ana (sim)";
const OPERATOR_ARN = "arn:aws:sts::111122223333:assumed-role/DataEngineer/ana";

const SILENT = new Logger({ logLevel: "SILENT" });
const CLUSTER: LocalCluster = { region: "eu-west-1", account: "111122223333", name: "data-flows-sim" };
export const SIMULATED_CLUSTER = clusterArnOf(CLUSTER);

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
  /** An operator's command, made when it is sent (its target may only be known then); undefined: nothing to send. */
  compose?: () => LaunchCommand | undefined;
  /** Told the run the command's answer names. */
  onRun?: (runId: string) => void;
}

/** Counts by fault kind, as injected. */
export type FaultCounts = Record<string, number>;

export interface SimulationResult {
  runs: Run[];
  violations: string[];
  deliveries: number;
  faults: FaultCounts;
  /** Operator commands sent, by kind (each resend counted). */
  commands: Record<string, number>;
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
  private readonly commands: Record<string, number> = {};
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
  /** The world's write order: run records, pauses and resumes, for the pause oracle. */
  private seq = 0;
  private readonly createdSeq = new Map<string, number>();
  private readonly pauses: { flow: string; pausedAt: string; fromSeq: number }[] = [];
  private readonly resumes: { flow: string; seq: number; lifted?: string }[] = [];
  /** When each run's first task was asked of ECS, in the world's write order. */
  private readonly launchedSeq = new Map<string, number>();
  private readonly namedRequests: NamedRequest[] = [];
  /** The run each manual run spec started, once the launcher has said. */
  private readonly manualRuns = new Map<number, string>();
  private readonly backfillIds = new Set<string>();

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

  private stores() {
    return runsTableStores({
      client: this.client,
      tableName: this.store.tableName,
      retentionDays: 30,
      now: () => new Date(this.now),
    });
  }

  /**
   * The control plane as the composition root wires it, to the world's ports, for one invocation: its faults drawn
   * from its own `random`; `killed` marks an alerter that dies mid-post and never gives its claim back.
   */
  private compose(random: Random, killed: boolean): ControlPlane {
    const clock = { now: () => new Date(this.now) };
    const { flowState, backfills, markers } = this.stores();
    return composeControlPlane(
      onlyPorts("the simulation", {
        registry: this.registry,
        runs: this.crashingStore(random),
        flowState: this.recordingFlowState(flowState),
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
              claim: (subject, key, options) => markers.claim(subject, key, options),
              complete: (subject, key, delivery) => markers.complete(subject, key, delivery),
              release: async () => undefined, // a killed invocation never gets to give its claim back
            }
          : markers,
        notifier: this.slack(random, killed),
        taskLogs: { link: () => "", tail: async () => [] },
        clock,
        nonces: { nonce: () => nonceOf(random) },
        logger: SILENT,
      }),
      {
        environment: "sim",
        clusterArn: SIMULATED_CLUSTER,
        retryBaseDelaySeconds: 60,
        // As in AWS: operators' commands come through the launcher's URL, which names who sent them.
        operatorEntry: "url",
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
    this.scenario.runs.forEach((spec, index) => this.fire(spec, index));
    this.scenario.commands.forEach((command, index) => this.operate(command, index));
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
        // Quiet: nothing but reaper passes left, and every run and backfill ended with nothing owed.
        const others = this.queue.some((delivery) => delivery.fn !== "reaper");
        idlePasses = others ? 0 : idlePasses + 1;
        if (!others && idlePasses >= 2 && (await this.settled())) break;
      }
    }
    const runs = await this.allRuns();
    const violations = violationsOf({
      registry: this.registry,
      runs,
      tasks: [...this.tasks.values()],
      published: this.published,
      posts: this.posts,
      backfills: await this.allBackfills(),
      pauses: this.heldPauses(),
      createdSeq: this.createdSeq,
      launchedSeq: this.launchedSeq,
      namedRequests: this.namedRequests,
      skipFlow: this.skipFlow,
      skipFlowLockHolder: (await this.store.lockHolder(this.skipFlow))?.runId,
      faultsEnd: this.faultsEnd,
      reaperPeriodMs: REAPER_PERIOD_MS,
    });
    return {
      runs,
      violations,
      deliveries: this.deliveries,
      faults: this.faults,
      commands: this.commands,
      ...(this.trace && { trace: this.trace }),
    };
  }

  /** A run spec's fire: Scheduler's deliveries of a schedule, or an operator's manual request (resent, with its id). */
  private fire(spec: RunSpec, index: number): void {
    const flow = this.registry.flows[spec.flow]!;
    const due = this.start + spec.atMinute * MINUTE;
    if (spec.kind === "schedule") {
      const command = { kind: "schedule", flow: flow.name, scheduledTime: new Date(due).toISOString() };
      for (let copy = 0; copy < spec.deliveries; copy += 1) {
        this.enqueue("launcher", command, due + copy * 7_000, LAMBDA_ASYNC_TRIES);
      }
      return;
    }
    if (!spec.requestId) {
      this.send({ kind: "manual", flow: flow.name, params: {} }, due, (runId) => this.manualRuns.set(index, runId));
      return;
    }
    const requestId = nonceOf(this.random);
    this.manualRuns.set(index, requestedRunId(flow.name, requestId));
    const named = this.nameRequest(`manual ${flow.name} with request id ${requestId}`);
    for (let copy = 0; copy < spec.deliveries; copy += 1) {
      const resentAfter = copy === 0 ? 0 : this.random.below(5 * MINUTE);
      this.send({ kind: "manual", flow: flow.name, params: {}, requestId }, due + resentAfter, named);
    }
  }

  /** An operator's command, sent at its moment. */
  private operate(command: CommandSpec, index: number): void {
    const at = (minute: number) => this.start + minute * MINUTE;
    switch (command.kind) {
      case "cancel": {
        const due = (this.targetDue(command.run) ?? this.start) + command.offsetSeconds * 1000;
        this.send(() => {
          const target = this.targetRunId(command.run);
          return target === undefined
            ? undefined
            : { kind: "cancel", flow: flowOf(target), runId: target, requestedBy: OPERATOR };
        }, due);
        return;
      }
      case "rerun": {
        const requestId = nonceOf(this.random);
        const named = this.nameRequest(`rerun #${index} with request id ${requestId}`);
        // Every send asks again for what the first one asked: the same run, re-run, under the same request id.
        let target: string | undefined;
        const rerun = (): LaunchCommand | undefined => {
          target ??= this.targetRunId(command.run);
          return target === undefined
            ? undefined
            : { kind: "rerun", flow: flowOf(target), runId: target, requestedBy: OPERATOR, requestId };
        };
        for (let copy = 0; copy < command.sends; copy += 1) {
          const due = at(command.atMinute) + (copy === 0 ? 0 : this.random.below(2 * MINUTE));
          this.send(rerun, due, named);
        }
        return;
      }
      case "pause": {
        const flow = this.registry.flows[command.flow]!.name;
        this.send({ kind: "pause", flow, requestedBy: OPERATOR, reason: "sim" }, at(command.atMinute));
        if (command.resumeAfterMinutes !== null) {
          this.send({ kind: "resume", flow, requestedBy: OPERATOR }, at(command.atMinute + command.resumeAfterMinutes));
        }
        return;
      }
      case "backfill": {
        const flow = this.registry.flows[SCHEDULED_FLOW]!.name;
        const from = new Date(this.start - command.fromHoursAgo * 60 * MINUTE);
        const to = new Date(from.getTime() + (command.slots - 1) * 60 * MINUTE);
        const backfillId = backfillIdOf(flow, from, to);
        this.backfillIds.add(backfillId);
        const request = {
          kind: "backfill" as const,
          flow,
          from: from.toISOString(),
          to: to.toISOString(),
          maxConcurrent: command.maxConcurrent,
          params: {},
          requestedBy: OPERATOR,
        };
        this.send(request, at(command.atMinute));
        if (command.cancelAfterMinutes !== null) {
          const cancel = { kind: "backfill-cancel" as const, backfillId, requestedBy: OPERATOR };
          this.send(cancel, at(command.atMinute + command.cancelAfterMinutes));
        }
        return;
      }
    }
  }

  /** The due time of the run a command targets, when it is one of the scenario's own. */
  private targetDue(index: number): number | undefined {
    const spec = this.scenario.runs[index % (this.scenario.runs.length + 1)];
    return spec && this.start + spec.atMinute * MINUTE;
  }

  /**
   * The run a command targets, as known when it is sent: a scenario run (a schedule's id, a manual run's once the
   * launcher said it), or, one index past them, any run the world knows of then (a backfill slot, a rerun, a
   * downstream run).
   */
  private targetRunId(index: number): string | undefined {
    const slot = index % (this.scenario.runs.length + 1);
    const spec = this.scenario.runs[slot];
    if (!spec) {
      const known = [...this.runIds].sort();
      return known.length ? known[index % known.length] : undefined;
    }
    const flow = this.registry.flows[spec.flow]!.name;
    if (spec.kind === "schedule") return scheduledRunId(flow, new Date(this.start + spec.atMinute * MINUTE));
    return this.manualRuns.get(slot);
  }

  /** A request that names itself: every answer its sends get is kept, and must name one run. */
  private nameRequest(label: string): (runId: string) => void {
    const request: NamedRequest = { label, answered: [] };
    this.namedRequests.push(request);
    return (runId) => request.answered.push(runId);
  }

  /** An operator's command, as the CLI sends it: one synchronous invocation of the launcher. */
  private send(
    command: LaunchCommand | (() => LaunchCommand | undefined),
    dueAt: number,
    onRun?: (runId: string) => void,
  ): void {
    const delivery = this.delivery("launcher", undefined, dueAt, OPERATOR_TRIES, this.random);
    delivery.compose = typeof command === "function" ? command : () => command;
    if (onRun) delivery.onRun = onRun;
    this.queue.push(delivery);
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
    const command = delivery.compose?.();
    if (delivery.compose) {
      if (command === undefined) return; // its target does not exist yet: the operator has nothing to send
      this.commands[command.kind] = (this.commands[command.kind] ?? 0) + 1;
    }
    // An operator's command comes through the launcher's URL, IAM-signed: the launcher names its sender.
    const event = command ? functionUrlRequest(command, OPERATOR_ARN) : delivery.event;
    this.deliveries += 1;
    delivery.tries += 1;
    const deadline = new Date(this.now + FUNCTION_TIMEOUT_SECONDS[delivery.fn] * 1000);
    const random = new Random(delivery.seed + delivery.tries * 0x9e3779b1);
    const plane = this.compose(random, delivery.fn === "alerter" && this.fault("alerterKilled", random));
    try {
      const answer = await plane[delivery.fn]()(event, { deadline });
      if (command) {
        const { statusCode, body } = answer as { statusCode: number; body: string };
        const said = JSON.parse(body) as { runId?: string; errorMessage?: string };
        if (statusCode !== 200) throw new Error(`HTTP ${statusCode}: ${said.errorMessage}`);
        if (said.runId) delivery.onRun?.(said.runId);
      }
      this.trace?.push(`${new Date(this.now).toISOString()} ${describe(delivery, command ?? event)} → ok`);
    } catch (error) {
      this.trace?.push(
        `${new Date(this.now).toISOString()} ${describe(delivery, event)} → ${(error as Error).message}`,
      );
      if (delivery.tries < delivery.maxTries) {
        // Lambda's async retries come after 1 and 2 minutes; EventBridge backs off up to minutes; a killed
        // invocation is retried after its timeout.
        const backoff =
          delivery.fn === "launcher" ? delivery.tries * MINUTE : Math.min(delivery.tries * 30_000, 10 * MINUTE);
        this.queue.push({ ...delivery, dueAt: Math.max(this.now, deadline.getTime()) + backoff });
      } else if (delivery.compose) {
        this.faults.operatorRefused = (this.faults.operatorRefused ?? 0) + 1;
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
        if (!this.createdSeq.has(run.runId)) this.createdSeq.set(run.runId, ++this.seq);
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

  /** Pauses and resumes as written, in the world's write order (a pause after its write, a resume before its own). */
  private recordingFlowState(flowState: FlowStateStore): FlowStateStore {
    return {
      pause: async (flow, pause) => {
        const kept = await flowState.pause(flow, pause);
        if (!this.pauses.some((held) => held.flow === flow && held.pausedAt === kept.pausedAt)) {
          this.pauses.push({ flow, pausedAt: kept.pausedAt, fromSeq: ++this.seq });
        }
        return kept;
      },
      resume: async (flow) => {
        const resume: { flow: string; seq: number; lifted?: string } = { flow, seq: ++this.seq };
        this.resumes.push(resume);
        const lifted = await flowState.resume(flow);
        if (lifted) resume.lifted = lifted.pausedAt;
        return lifted;
      },
      pauseOf: (flow) => flowState.pauseOf(flow),
      watermarkOf: (flow) => flowState.watermarkOf(flow),
      commitWatermark: (flow, watermark) => flowState.commitWatermark(flow, watermark),
    };
  }

  /**
   * Each pause, certainly held from its write to the start of the resume that lifted it (for good if none did): a
   * resume sent while the pause was being written may have lifted it before the pause's own write was seen.
   */
  private heldPauses(): HeldPause[] {
    return this.pauses.map((pause) => ({
      ...pause,
      untilSeq:
        this.resumes.find((resume) => resume.flow === pause.flow && resume.lifted === pause.pausedAt)?.seq ?? Infinity,
    }));
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
        task.stopRequested = true;
        this.emit(task, "STOPPED", 6, task.stopAt, random);
      },
      listRunning: async (options: { flow?: string; includeStopping?: boolean } = {}): Promise<RunningTask[]> =>
        [...this.tasks.values()]
          .filter((task) => task.stopAt === undefined || task.stopAt > this.now)
          .filter((task) => options.includeStopping || !task.stopRequested)
          .filter((task) => options.flow === undefined || task.flow === options.flow)
          .map((task) => ({
            taskArn: task.taskArn,
            run: runReferenceOf([{ name: FLOW_CONTAINER_NAME, environment: task.environment }])!,
            ...(task.stopRequested && { stopping: true }),
          })),
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
    if (request.attempt === 1 && !this.launchedSeq.has(request.runId)) this.launchedSeq.set(request.runId, ++this.seq);
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

  private async allBackfills(): Promise<Backfill[]> {
    const { backfills } = this.stores();
    const found = await Promise.all([...this.backfillIds].map((backfillId) => backfills.get(backfillId)));
    return found.filter((backfill): backfill is Backfill => backfill !== undefined);
  }

  /** Every run and backfill ended, nothing owed, no lock held. */
  private async settled(): Promise<boolean> {
    const runs = await this.allRuns();
    if (runs.some((run) => !isTerminal(run.state) || run.settlement)) return false;
    if ((await this.allBackfills()).some((backfill) => backfill.state === "ACTIVE")) return false;
    return (await this.store.lockHolder(this.skipFlow)) === undefined;
  }

  private get skipFlow(): string {
    return this.registry.flows[SKIP_FLOW]!.name;
  }
}

/** A 10-character [a-z0-9] id, as the CLI's and the page's request ids and the launcher's nonces are. */
function nonceOf(random: Random): string {
  return random
    .below(36 ** 6)
    .toString(36)
    .padStart(10, "0");
}

function flowOf(runId: string): string {
  return runId.slice(0, runId.indexOf("/"));
}

/** One line about an invocation's input, for traces. */
function describe(delivery: Delivery, event: unknown): string {
  const detail = (event as { detail?: Record<string, unknown> } | undefined)?.detail;
  let summary = JSON.stringify(event ?? {});
  if (delivery.fn === "recorder" && detail) {
    const overrides = detail.overrides as { containerOverrides?: Parameters<typeof runReferenceOf>[0] } | undefined;
    const run = runReferenceOf(overrides?.containerOverrides);
    summary = `${String(detail.lastStatus)} v${String(detail.version)} of ${run?.runId}#${run?.attempt}`;
  } else if (delivery.fn === "alerter" && detail) {
    summary = `${String(detail.runId)}#${String(detail.attempt)} ${String(detail.to)}`;
  }
  return `${delivery.fn} (try ${delivery.tries}) ${summary}`;
}
