import { Logger } from "@aws-lambda-powertools/logger";
import fc from "fast-check";
import { FLOW_CONTAINER_NAME, runOverrides, runReferenceOf } from "../../contracts/task-environment";
import { defineRegistry } from "../../flows/registry/flow-registry";
import type { DynamoRunStore } from "../../lambdas/adapters/dynamo-run-store";
import { composeControlPlane, onlyPorts } from "../../lambdas/composition-root";
import type { LaunchCommand, RetryCommand } from "../../lambdas/core/launch-command";
import type { TaskControl, TaskLauncher, TaskLaunchResult, TaskLookup, TaskRequest } from "../../lambdas/core/ports";
import type { Run } from "../../lambdas/core/run";
import { scheduledRunId } from "../../lambdas/core/run-id";
import { canTransition, isTerminal, RunState } from "../../lambdas/core/run-state";
import type { LocalCluster } from "../../local/ecs-events";
import { clusterArnOf, taskArnOf, taskStateChangeEvent } from "../../local/ecs-events";
import { RecordingPublisher } from "./recording-publisher";

/**
 * A simulated world for the control plane: the real launcher, recorder and reaper against a real run store, with
 * ECS, EventBridge, Scheduler and Lambda's retries simulated so that a scenario can duplicate, reorder, delay and
 * lose events, duplicate schedule deliveries, kill the launcher after RunTask and throttle RunTask.
 */
export type LauncherFault = "ok" | "throttle" | "crash-after";

export interface Scenario {
  /** The flow's retries (0-2): its runs get retries + 1 attempts. */
  retries: number;
  /** The exit code each attempt's task ends with. */
  exitCodes: number[];
  /** How many times EventBridge Scheduler delivers the fire (at least once). */
  scheduleDeliveries: number;
  /** What happens on each RunTask call, in order; "ok" once these run out. */
  launcherFaults: LauncherFault[];
  /** Decisions: which pending delivery goes next, what is dropped, duplicated or forgotten by ECS. */
  tape: number[];
}

export const scenarioArbitrary: fc.Arbitrary<Scenario> = fc.record({
  retries: fc.integer({ min: 0, max: 2 }),
  exitCodes: fc.array(fc.constantFrom(0, 1), { minLength: 3, maxLength: 3 }),
  scheduleDeliveries: fc.integer({ min: 1, max: 3 }),
  launcherFaults: fc.array(fc.constantFrom<LauncherFault>("ok", "ok", "throttle", "crash-after"), { maxLength: 6 }),
  tape: fc.array(fc.nat({ max: 9999 }), { minLength: 1, maxLength: 64 }),
});

const CLUSTER: LocalCluster = { region: "eu-west-1", account: "111122223333", name: "data-flows-sim" };
export const SIMULATED_CLUSTER = clusterArnOf(CLUSTER);
export const simulationRegistry = defineRegistry(
  [0, 1, 2].map((retries) => ({
    name: `sim-r${retries}`,
    description: "simulated",
    owner: "@sim",
    retries,
    overlap: "allow" as const,
    timeoutMinutes: 24 * 60,
    maxLatenessMinutes: 7 * 24 * 60,
  })),
);

class Tape {
  private position = 0;
  constructor(private readonly values: readonly number[]) {}
  pick(bound: number): number {
    if (bound <= 1) return 0;
    const value = this.values.length ? this.values[this.position++ % this.values.length]! : 0;
    return value % bound;
  }
  percent(threshold: number): boolean {
    return this.pick(100) < threshold;
  }
}

interface SimulatedTask {
  taskId: string;
  token: string;
  attempt: number;
  exitCode: number;
  /** The STOPPED event was lost and ECS has forgotten the task: only LOST can be known. */
  forgotten: boolean;
  /** The container overrides RunTask received. */
  environment: { name: string; value: string }[];
}

type Delivery =
  { kind: "launch"; payload: unknown } | { kind: "event"; event: unknown } | { kind: "retry"; payload: unknown };

class SimulatedEcs implements TaskLauncher, TaskControl {
  readonly tasks = new Map<string, SimulatedTask>();
  runTaskCalls = 0;

  constructor(
    private readonly scenario: Scenario,
    private readonly tape: Tape,
    private readonly enqueue: (delivery: Delivery) => void,
  ) {}

  async runTask(request: TaskRequest): Promise<TaskLaunchResult> {
    const fault = this.scenario.launcherFaults[this.runTaskCalls++] ?? "ok";
    if (fault === "throttle") throw new Error("ThrottlingException: Rate exceeded");
    let task = this.tasks.get(request.clientToken);
    if (!task) {
      task = {
        taskId: `${this.tasks.size}-${request.clientToken.replace(/\W/g, "")}`,
        token: request.clientToken,
        attempt: request.attempt,
        exitCode: this.scenario.exitCodes[request.attempt - 1] ?? 0,
        forgotten: false,
        environment: runOverrides(request),
      };
      this.tasks.set(request.clientToken, task);
      this.emitLifecycle(task, request);
    }
    if (fault === "crash-after") throw new Error("socket hang up (after RunTask)");
    return { ok: true, taskArn: taskArnOf(CLUSTER, task.taskId) };
  }

  async stopTask(): Promise<void> {
    throw new Error("no flow in the simulation reaches its timeout");
  }

  async describeTasks(taskArns: readonly string[]): Promise<Map<string, TaskLookup>> {
    const byArn = new Map([...this.tasks.values()].map((task) => [taskArnOf(CLUSTER, task.taskId), task]));
    return new Map(
      taskArns.map((arn) => {
        const task = byArn.get(arn);
        const lookup: TaskLookup =
          !task || task.forgotten
            ? { found: false }
            : {
                found: true,
                task: {
                  taskArn: arn,
                  clusterArn: SIMULATED_CLUSTER,
                  run: runReferenceOf([{ name: FLOW_CONTAINER_NAME, environment: task.environment }])!,
                  version: 6,
                  lastStatus: "STOPPED",
                  stopCode: "EssentialContainerExited",
                  containers: [{ name: FLOW_CONTAINER_NAME, exitCode: task.exitCode }],
                },
              };
        return [arn, lookup];
      }),
    );
  }

  /** PROVISIONING (v1), RUNNING (v3), STOPPED (v6): each may be lost or duplicated; the pool reorders them. */
  private emitLifecycle(task: SimulatedTask, request: TaskRequest) {
    for (const [lastStatus, version] of [
      ["PROVISIONING", 1],
      ["RUNNING", 3],
      ["STOPPED", 6],
    ] as const) {
      if (this.tape.percent(10)) {
        if (lastStatus === "STOPPED") task.forgotten = this.tape.percent(40);
        continue;
      }
      const stopped = lastStatus === "STOPPED";
      const event = taskStateChangeEvent(
        {
          cluster: CLUSTER,
          taskId: task.taskId,
          family: `data-flows-sim-${request.flow}`,
          cpu: 256,
          memoryMiB: 512,
          startedBy: request.startedBy,
          environment: task.environment,
          createdAt: "2026-03-02T10:00:00.000Z",
        },
        {
          lastStatus,
          version,
          at: "2026-03-02T10:00:00.000Z",
          ...(stopped && {
            exitCode: task.exitCode,
            stopCode: "EssentialContainerExited",
            stoppedReason: "Essential container in task exited",
          }),
        },
      );
      this.enqueue({ kind: "event", event });
      if (this.tape.percent(15)) this.enqueue({ kind: "event", event });
    }
  }
}

export interface SimulationResult {
  run: Run;
  expected: { state: RunState; attempt: number };
  violations: string[];
  deliveries: number;
}

/** Lambda's asynchronous invocation: the first try and two retries, then the dead-letter queue. */
const PLATFORM_ATTEMPTS = 3;

/** Plays one scenario for one scheduled run and checks it against the oracle. */
export async function simulate(scenario: Scenario, runs: DynamoRunStore, index: number): Promise<SimulationResult> {
  const tape = new Tape(scenario.tape);
  const flow = `sim-r${scenario.retries}`;
  const slot = new Date(Date.UTC(2026, 2, 2) + index * 60_000);
  const runId = scheduledRunId(flow, slot);
  let now = slot.getTime() + 30_000;
  const clock = { now: () => new Date(now) };
  const pool: Delivery[] = [];
  const enqueue = (delivery: Delivery) => void pool.push(delivery);
  const ecs = new SimulatedEcs(scenario, tape, enqueue);
  const events = new RecordingPublisher();
  const plane = composeControlPlane(
    onlyPorts("the simulation", {
      registry: simulationRegistry,
      runs,
      tasks: ecs,
      taskControl: ecs,
      events,
      // A one-time schedule that fires the retry; sometimes it never does, and the reaper must notice.
      retries: {
        schedule: async (payload: RetryCommand) => {
          if (!tape.percent(15)) enqueue({ kind: "retry", payload });
        },
      },
      launches: { send: async (payload: LaunchCommand) => enqueue({ kind: "launch", payload }) },
      clock,
      nonces: { nonce: () => "sim" },
      logger: new Logger({ logLevel: "SILENT" }),
    }),
    {
      environment: "sim",
      clusterArn: SIMULATED_CLUSTER,
      retryBaseDelaySeconds: 1,
      reapLimits: { runsPerFlow: 1000, pendingGraceSeconds: 120, silenceMinutes: 15 },
    },
  );
  const launcher = plane.launcher();
  const recorder = plane.recorder();
  const reap = plane.reaper();
  const invokeLauncher = async (payload: unknown) => {
    for (let attempt = 1; attempt <= PLATFORM_ATTEMPTS; attempt += 1) {
      try {
        await launcher(payload);
        return;
      } catch {
        now += 1000; // retried by the platform a little later; after the last try the event is dead-lettered
      }
    }
  };

  for (let delivery = 0; delivery < scenario.scheduleDeliveries; delivery += 1) {
    enqueue({ kind: "launch", payload: { kind: "schedule", flow, scheduledTime: slot.toISOString() } });
  }
  let deliveries = 0;
  let idlePasses = 0;
  for (let step = 0; step < 500; step += 1) {
    if (pool.length === 0) {
      const run = await runs.get(runId);
      if (run && isTerminal(run.state)) break;
      if (++idlePasses > 12) break;
      now += 16 * 60_000; // long enough for the reaper to call a run quiet or stranded
      await reap(undefined);
      continue;
    }
    const [next] = pool.splice(tape.pick(pool.length), 1) as [Delivery];
    deliveries += 1;
    now += 1000;
    if (next.kind === "event") await recorder(next.event);
    else await invokeLauncher(next.payload);
  }

  const run = (await runs.get(runId))!;
  return { run, expected: truth(scenario, ecs), violations: check(run, ecs, events, scenario), deliveries };
}

/** What really happened: attempts in order until one succeeds, ECS forgets one, or attempts run out. */
function truth(scenario: Scenario, ecs: SimulatedEcs): { state: RunState; attempt: number } {
  const maxAttempts = scenario.retries + 1;
  const byAttempt = new Map([...ecs.tasks.values()].map((task) => [task.attempt, task]));
  for (let attempt = 1; ; attempt += 1) {
    const task = byAttempt.get(attempt);
    if (!task) return { state: RunState.PENDING, attempt }; // never started: the run must not claim an ending
    if (task.forgotten) return { state: RunState.LOST, attempt };
    if (task.exitCode === 0) return { state: RunState.SUCCEEDED, attempt };
    if (attempt >= maxAttempts) return { state: RunState.FAILED, attempt };
  }
}

function check(run: Run, ecs: SimulatedEcs, events: RecordingPublisher, scenario: Scenario): string[] {
  const violations: string[] = [];
  const attempts = [...ecs.tasks.values()].map((task) => task.attempt).sort((a, b) => a - b);
  // Exactly one task per (run, attempt): attempts 1..n each started once, never beyond the run's budget.
  if (attempts.some((attempt, i) => attempt !== i + 1)) violations.push(`tasks per attempt: ${attempts.join(",")}`);
  if (attempts.length > scenario.retries + 1)
    violations.push(`${attempts.length} attempts for ${scenario.retries} retries`);
  if (attempts.length !== run.attempt)
    violations.push(`run is on attempt ${run.attempt} but ${attempts.length} tasks started`);
  // No move the state machine forbids, and nothing after a terminal state.
  run.history.forEach((entry, i) => {
    const previous = run.history[i - 1];
    if (!previous) return;
    if (isTerminal(previous.state)) violations.push(`history continues after ${previous.state}: ${entry.state}`);
    else if (!canTransition(previous.state, entry.state))
      violations.push(`history moves ${previous.state} -> ${entry.state}`);
  });
  // Announcements may repeat (at least once), but nothing other than the ending may follow it.
  const terminal = events.published.find((change) => isTerminal(change.to));
  const after = terminal ? events.published.slice(events.published.indexOf(terminal) + 1) : [];
  if (after.some((change) => change.to !== terminal!.to || change.attempt !== terminal!.attempt)) {
    violations.push(`published ${after.map((change) => change.to).join(",")} after ${terminal!.to}`);
  }
  return violations;
}
