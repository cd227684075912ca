import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { WriteStream } from "node:fs";
import { createWriteStream, mkdirSync } from "node:fs";
import { constants } from "node:os";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import type { EnvironmentNames } from "../contracts/resource-names";
import {
  FLOW_CONTAINER_NAME,
  runOverrides,
  runReferenceOf,
  stopTimeoutSeconds,
  taskDefinitionEnvironment,
} from "../contracts/task-environment";
import type { FlowRegistry } from "../flows/registry/flow-registry";
import type {
  RunningTask,
  TaskControl,
  TaskLauncher,
  TaskLaunchResult,
  TaskLookup,
  TaskRequest,
} from "../lambdas/core/ports";
import type { FlowDefinition } from "../flows/registry/flow-definition";
import { startedBy } from "../lambdas/core/run-id";
import type { FlowRuntimeCommand } from "./bundled-flow-runtime";
import type { LocalCluster, LocalTaskFacts, LocalTaskState } from "./ecs-events";
import { clusterArnOf, taskArnOf, taskStateChangeEvent } from "./ecs-events";
import { localTaskLogFile } from "./local-environment";
import type { PythonInterpreter } from "./python-interpreter";
import { findPython, pythonFlowCommand } from "./python-interpreter";
import type { JournalEntry, TaskJournal } from "./task-journal";
import { isStillRunning, processStartOf } from "./task-journal";

export interface ProcessTaskRunnerOptions {
  registry: FlowRegistry;
  cluster: LocalCluster;
  /** The environment's names: task families, and the SSM segment flows see as DATA_FLOWS_ENV. */
  names: Pick<EnvironmentNames, "taskFamily" | "ssmEnvironment">;
  /** Repository root: the working directory of every flow process. */
  workdir: string;
  /** One log file per task, like one CloudWatch stream per task. */
  logsDir: string;
  /** Where ECS events go: the recorder, as the EventBridge rule delivers them in AWS. */
  deliver: (event: ReturnType<typeof taskStateChangeEvent>) => Promise<void>;
  /** Each line a flow prints, for the console. */
  onOutput?: (line: { flow: string; runId: string; text: string }) => void;
  /**
   * Environment the developer's shell provides: where declared secrets come from locally, instead of SSM. A flow sees
   * only its declared secrets and the few variables in `HOST_VARIABLES`, never the rest of the shell.
   */
  hostEnv: NodeJS.ProcessEnv;
  /**
   * What the task definition gives a flow that keeps a watermark, as the stack does: where the runs table is (here,
   * dynalite's endpoint and table).
   */
  watermarkStore?: { tableName: string; endpoint: string };
  /** How the flow runtime is started, when not from source under tsx (the local control plane bundles it). */
  runtime?: () => Promise<FlowRuntimeCommand>;
  /** The Python that runs flows of the `python` image; found on the shell's PATH when not given. */
  python?: PythonInterpreter;
  /**
   * Time between SIGTERM and SIGKILL when a task is stopped; by default each flow's, as its task definition's
   * `stopTimeout` says (`stopTimeoutSeconds`).
   */
  stopTimeoutMs?: number;
  /** Where running tasks are written down, so a start after a kill -9 can stop what was left running. */
  journal?: TaskJournal;
}

/**
 * What a flow process takes from the developer's shell besides its declared secrets: what a container's own OS
 * would provide (PATH, HOME, USER, locale, timezone, temp dir) and the log level, so local logs follow the developer's
 * setting. Nothing else: AWS credentials, SLACK_WEBHOOK_URL, NODE_OPTIONS and other secrets stay in the shell.
 */
const HOST_VARIABLES = new Set(["PATH", "HOME", "USER", "LANG", "TZ", "TMPDIR", "POWERTOOLS_LOG_LEVEL"]);
const isHostVariable = (name: string) => HOST_VARIABLES.has(name) || name.startsWith("LC_");

/**
 * Process groups of flows still running, across every runner in this process. If the control plane exits without
 * stopping them (a crash), they are sent SIGTERM on the way out rather than left running with nobody to record them.
 */
const liveGroups = new Set<number>();
const stopLiveGroups = () => liveGroups.forEach((group) => signalGroup(group, "SIGTERM"));
function trackGroup(pid: number): void {
  if (liveGroups.size === 0) process.on("exit", stopLiveGroups);
  liveGroups.add(pid);
}
function untrackGroup(pid: number): void {
  if (liveGroups.delete(pid) && liveGroups.size === 0) process.off("exit", stopLiveGroups);
}

/** Signals a flow's whole process group, as stopping a container stops every process in it. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    // Windows has no process groups: there, the flow's own process at least.
    process.kill(process.platform === "win32" ? pid : -pid, signal);
  } catch {
    // the group is gone already
  }
}

interface LocalTask {
  facts: LocalTaskFacts;
  version: number;
  /** The last state it reported, for DescribeTasks. */
  last?: Omit<LocalTaskState, "version" | "at">;
  /** The flow's last ERROR log message: locally it becomes the container's reason (in AWS, read the log). */
  lastError?: string;
  stopRequested?: string;
  /** Stops the running process (group): SIGTERM, then SIGKILL after the stop timeout. */
  stop?: () => void;
  /** Its process has exited (or never started): a stop now changes nothing. */
  ended?: boolean;
  done: Promise<void>;
}

/** The image's entrypoint, run from source: the flow runtime under tsx. */
const RUNTIME_COMMAND = [process.execPath, "--import", "tsx", "flows/runtime/main.ts"];

/**
 * A stand-in for ECS Fargate: runs each task as a child process with the environment the task definition and the
 * RunTask overrides would give the container, and emits ECS Task State Change events with increasing versions.
 * Idempotent on the client token, as RunTask is.
 */
export class ProcessTaskRunner implements TaskLauncher, TaskControl {
  private readonly byToken = new Map<string, string>();
  private readonly tasks = new Map<string, LocalTask>();
  private python: PythonInterpreter | undefined;

  constructor(private readonly options: ProcessTaskRunnerOptions) {}

  async runTask(request: TaskRequest): Promise<TaskLaunchResult> {
    const existing = this.byToken.get(request.clientToken);
    if (existing) return { ok: true, taskArn: existing };
    const flow = this.options.registry.require(request.flow);
    const { cluster } = this.options;
    const taskId = randomBytes(16).toString("hex");
    const taskArn = taskArnOf(cluster, taskId);
    const facts: LocalTaskFacts = {
      cluster,
      taskId,
      family: this.options.names.taskFamily(flow.name),
      cpu: flow.cpu,
      memoryMiB: flow.memoryMiB,
      startedBy: request.startedBy,
      environment: runOverrides(request),
      createdAt: new Date().toISOString(),
    };
    const task: LocalTask = { facts, version: 0, done: Promise.resolve() };
    this.byToken.set(request.clientToken, taskArn);
    this.tasks.set(taskArn, task);
    // Never rejects: whatever goes wrong from here on is reported as ECS reports it, in the task's STOPPED event.
    task.done = this.run(task, request, flow);
    return { ok: true, taskArn };
  }

  /**
   * Stops a task as `StopTask` does: SIGTERM now, SIGKILL after the stop timeout; the STOPPED event says
   * UserInitiated with the given reason.
   */
  async stopTask(taskArn: string, reason: string): Promise<void> {
    const task = this.tasks.get(taskArn);
    if (!task || task.ended) return;
    task.stopRequested ??= reason; // as in ECS, the first stop's reason is the one reported
    task.stop?.(); // a task still PROVISIONING or PENDING is stopped before its process starts (see run)
  }

  /** What `ListTasks` (desired status RUNNING) and `DescribeTasks` would say: the tasks not stopped nor asked to. */
  async listRunning(options: { flow?: string; includeStopping?: boolean } = {}): Promise<RunningTask[]> {
    return [...this.tasks.entries()]
      .filter(([, task]) => !task.ended && (options.includeStopping || task.stopRequested === undefined))
      .filter(([, task]) => options.flow === undefined || task.facts.startedBy === startedBy(options.flow))
      .map(([taskArn, task]) => {
        const run = runReferenceOf([{ name: FLOW_CONTAINER_NAME, environment: task.facts.environment }]);
        return { taskArn, ...(run && { run }), ...(task.stopRequested !== undefined && { stopping: true }) };
      });
  }

  /** What `DescribeTasks` would say: the last reported state of each task this runner started. */
  async describeTasks(taskArns: readonly string[]): Promise<Map<string, TaskLookup>> {
    const lookups = new Map<string, TaskLookup>();
    for (const taskArn of taskArns) {
      const task = this.tasks.get(taskArn);
      const last = task?.last;
      if (!task || !last) {
        lookups.set(taskArn, { found: false }); // started by an earlier `npm start`: gone, as ECS forgets old tasks
        continue;
      }
      const run = runReferenceOf([{ name: FLOW_CONTAINER_NAME, environment: task.facts.environment }]);
      lookups.set(taskArn, {
        found: true,
        task: {
          taskArn,
          clusterArn: clusterArnOf(task.facts.cluster),
          ...(run && { run }),
          version: task.version,
          lastStatus: last.lastStatus,
          containers: [
            {
              name: FLOW_CONTAINER_NAME,
              ...(last.exitCode !== undefined && { exitCode: last.exitCode }),
              ...(last.containerReason !== undefined && { reason: last.containerReason }),
            },
          ],
          ...(last.stopCode && { stopCode: last.stopCode }),
          ...(last.stoppedReason && { stoppedReason: last.stoppedReason }),
          ...(last.startedAt && { startedAt: last.startedAt }),
          ...(last.stoppedAt && { stoppedAt: last.stoppedAt }),
        },
      });
    }
    return lookups;
  }

  /**
   * Stops what a killed control plane left running (see {@link TaskJournal}) and reports each such task STOPPED with
   * `InfrastructureHealth`, as ECS reports the tasks of a host it lost: its run then ends, or retries, as usual.
   * Returns the tasks it reported.
   */
  async recover(): Promise<string[]> {
    const { journal } = this.options;
    if (!journal) return [];
    return Promise.all(
      journal.entries().map(async (entry) => {
        const running = isStillRunning(entry);
        if (running) await this.stopGroup(entry.pid, this.stopTimeoutMs(this.flowOf(entry.facts)));
        const task: LocalTask = { facts: entry.facts, version: entry.version, ended: true, done: Promise.resolve() };
        const taskArn = taskArnOf(entry.facts.cluster, entry.facts.taskId);
        this.tasks.set(taskArn, task);
        await this.emit(task, {
          lastStatus: "STOPPED",
          startedAt: entry.startedAt,
          stoppedAt: new Date().toISOString(),
          stopCode: "InfrastructureHealth",
          stoppedReason: running
            ? "The local control plane running this task was killed; the next start stopped the task"
            : "The local control plane running this task was killed; the task ended unobserved, its exit code unknown",
        });
        journal.forget(entry.facts.taskId);
        return taskArn;
      }),
    );
  }

  /** SIGTERM to a process group this runner did not start, then SIGKILL after the stop timeout; resolves once gone. */
  private async stopGroup(pid: number, stopTimeoutMs: number): Promise<void> {
    const gone = () => {
      try {
        process.kill(-pid, 0);
        return false;
      } catch {
        return true;
      }
    };
    const waitUntilGone = async (ms: number) => {
      for (const until = Date.now() + ms; !gone() && Date.now() < until;) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    signalGroup(pid, "SIGTERM");
    await waitUntilGone(stopTimeoutMs);
    if (!gone()) {
      signalGroup(pid, "SIGKILL");
      await waitUntilGone(5_000);
    }
  }

  /** Stops every task (one not started yet never starts) and waits until each has reported STOPPED. */
  async close(): Promise<void> {
    for (const [taskArn] of this.tasks) await this.stopTask(taskArn, "Local control plane shutting down");
    await this.settled();
  }

  /** Resolves when every task started so far has ended on its own and reported STOPPED. */
  async settled(): Promise<void> {
    await Promise.all([...this.tasks.values()].map((task) => task.done));
  }

  /** Reports a state change. A consumer that fails does not change the task, as ECS's events do not wait on rules. */
  private async emit(task: LocalTask, state: Omit<LocalTaskState, "version" | "at">): Promise<void> {
    task.version += 1;
    task.last = state;
    const event = taskStateChangeEvent(task.facts, { ...state, version: task.version, at: new Date().toISOString() });
    try {
      await this.options.deliver(event);
    } catch {
      // The local bus retries and dead-letters on its own; a delivery that still fails must not stop the task.
    }
  }

  private async run(task: LocalTask, request: TaskRequest, flow: FlowDefinition) {
    await this.emit(task, { lastStatus: "PROVISIONING" });
    await this.emit(task, { lastStatus: "PENDING" });
    if (task.stopRequested) {
      // Stopped before its container started (e.g. Ctrl-C just as it was launched): it never runs.
      task.ended = true;
      await this.emit(task, {
        lastStatus: "STOPPED",
        stoppedAt: new Date().toISOString(),
        stopCode: "UserInitiated",
        stoppedReason: task.stopRequested,
      });
      return;
    }
    let child: ChildProcess;
    let log: WriteStream | undefined;
    try {
      const runtime = await this.commandOf(flow.run);
      const command = runtime.command;
      const logFile = localTaskLogFile(this.options.logsDir, request.flow, task.facts.taskId);
      mkdirSync(dirname(logFile), { recursive: true });
      log = createWriteStream(logFile, { flags: "a" });
      log.on("error", () => undefined); // a log that cannot be written loses lines, never the task
      const [executable, ...args] = command as [string, ...string[]];
      child = spawn(executable, args, {
        cwd: this.options.workdir,
        env: { ...this.containerEnvironment(flow, task.facts.environment), ...runtime.env },
        stdio: ["ignore", "pipe", "pipe"],
        // A group of its own: a Ctrl-C typed at `npm start` reaches the control plane, which stops the flow as
        // StopTask does; the flow is not interrupted behind its back, as no container would be.
        detached: true,
      });
    } catch (error) {
      task.ended = true;
      // What spawn refuses outright (a NUL byte in the environment or arguments, a log folder that cannot be made)
      // is a container that could not start.
      log?.end();
      await this.failedToStart(task, error);
      return;
    }
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
      child.once("error", (error) => resolve({ code: null, signal: null, error }));
      child.once("close", (code, signal) => resolve({ code, signal }));
    });
    const startedAt = await new Promise<string | undefined>((resolve) => {
      child.once("spawn", () => resolve(new Date().toISOString()));
      child.once("error", () => resolve(undefined));
    });
    let killTimer: NodeJS.Timeout | undefined;
    if (startedAt && child.pid !== undefined) {
      const pid = child.pid;
      trackGroup(pid);
      task.stop = () => {
        signalGroup(pid, "SIGTERM");
        killTimer ??= setTimeout(() => signalGroup(pid, "SIGKILL"), this.stopTimeoutMs(flow));
      };
      // When the essential container exits the task ends, and with it every process the flow started.
      child.once("exit", () => {
        signalGroup(pid, "SIGKILL");
        untrackGroup(pid);
      });
      for (const stream of [child.stdout!, child.stderr!]) {
        createInterface({ input: stream }).on("line", (text) => {
          log!.write(`${text}\n`);
          task.lastError = errorMessageOf(text) ?? task.lastError;
          this.options.onOutput?.({ flow: request.flow, runId: request.runId, text });
        });
      }
      if (task.stopRequested) task.stop(); // stopped while its process was being started
      this.options.journal?.record(journalEntry(task, pid, startedAt));
      await this.emit(task, { lastStatus: "RUNNING", startedAt });
    }
    const result = await exited;
    clearTimeout(killTimer);
    task.stop = undefined;
    task.ended = true;
    await new Promise<void>((resolve) => log!.end(resolve));
    if (!startedAt) {
      await this.failedToStart(task, result.error);
      return;
    }
    const stoppedAt = new Date().toISOString();
    await this.emit(task, { lastStatus: "DEPROVISIONING", startedAt });
    // A process killed by a signal has no exit code of its own; Docker reports 128 + the signal number.
    const exitCode = result.code ?? 128 + (constants.signals[result.signal ?? "SIGTERM"] ?? 15);
    await this.emit(task, {
      lastStatus: "STOPPED",
      startedAt,
      stoppedAt,
      exitCode,
      ...(exitCode !== 0 && task.lastError && { containerReason: task.lastError }),
      stopCode: task.stopRequested ? "UserInitiated" : "EssentialContainerExited",
      stoppedReason: task.stopRequested ?? "Essential container in task exited",
    });
    this.options.journal?.forget(task.facts.taskId);
  }

  /** What the flow's image would run: the TypeScript runtime, or the flow's own command (a Python one under python3). */
  private async commandOf(flowRun: FlowDefinition["run"]): Promise<FlowRuntimeCommand> {
    if (flowRun === undefined) return (await this.options.runtime?.()) ?? { command: RUNTIME_COMMAND, env: {} };
    if (flowRun.image === "python") {
      this.python ??= this.options.python ?? findPython(this.options.hostEnv);
      return pythonFlowCommand(flowRun.command, this.python, this.options.workdir);
    }
    return { command: flowRun.command, env: {} };
  }

  /** A task whose container never started: STOPPED with `TaskFailedToStart` and no exit code, as ECS reports it. */
  private async failedToStart(task: LocalTask, error: unknown): Promise<void> {
    const raw = isError(error) ? error.message : error ? String(error) : "the container did not start";
    // One line, whatever the error held (control characters too): it reaches the run's reason and the console.
    const message = Array.from(raw, (char) => (char < " " ? " " : char)).join("");
    await this.emit(task, {
      lastStatus: "STOPPED",
      stoppedAt: new Date().toISOString(),
      stopCode: "TaskFailedToStart",
      stoppedReason: `CannotStartContainerError: ${message.slice(0, 500)}`,
    });
  }

  /** The stop timeout of a flow's tasks: the runner's own when it was given one, else the flow's task definition's. */
  private stopTimeoutMs(flow: FlowDefinition | undefined): number {
    return this.options.stopTimeoutMs ?? stopTimeoutSeconds(flow?.timeoutMinutes ?? 0) * 1000;
  }

  /** The flow a task was started for, read back from its overrides (as the recorder reads it from ECS). */
  private flowOf(facts: LocalTaskFacts): FlowDefinition | undefined {
    const runId = runReferenceOf([{ name: FLOW_CONTAINER_NAME, environment: facts.environment }])?.runId;
    return runId ? this.options.registry.get(runId.slice(0, runId.indexOf("/"))) : undefined;
  }

  /**
   * What ECS would give the container: the task-definition variables, the declared secrets only (from the shell
   * instead of SSM), the RunTask overrides, and of the developer's shell only what a container's OS would provide.
   */
  private containerEnvironment(flow: FlowDefinition, overrides: LocalTaskFacts["environment"]): Record<string, string> {
    const { hostEnv } = this.options;
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(hostEnv))
      if (value !== undefined && isHostVariable(name)) env[name] = value;
    for (const name of flow.secrets) if (hostEnv[name]) env[name] = hostEnv[name];
    const store = this.options.watermarkStore;
    const definition = taskDefinitionEnvironment({
      flow: flow.name,
      ssmEnvironment: this.options.names.ssmEnvironment,
      stopTimeoutSeconds: Math.ceil(this.stopTimeoutMs(flow) / 1000),
      secrets: flow.secrets,
      allowedHosts: flow.allowedHosts,
      ...(store && flow.watermark && { watermark: { runsTable: store.tableName, endpoint: store.endpoint } }),
    });
    for (const { name, value } of [...definition, ...overrides]) env[name] = value;
    return env;
  }
}

/** A running task as the journal keeps it: versioned as its RUNNING event, about to be emitted. */
function journalEntry(task: LocalTask, pid: number, startedAt: string): JournalEntry {
  const processStart = processStartOf(pid);
  return { facts: task.facts, pid, ...(processStart && { processStart }), startedAt, version: task.version + 1 };
}

/** Duck-typed, as errors from `spawn` may come from another realm (a test runner's) where `instanceof` fails. */
function isError(value: unknown): value is Error {
  return typeof value === "object" && value !== null && typeof (value as Error).message === "string";
}

/** The message of a Powertools JSON log line at ERROR level, with its error's message. */
function errorMessageOf(line: string): string | undefined {
  try {
    const parsed = JSON.parse(line) as { level?: string; message?: string; error?: { message?: string } };
    if (parsed.level !== "ERROR" || !parsed.message) return undefined;
    return parsed.error?.message ? `${parsed.message}: ${parsed.error.message}` : parsed.message;
  } catch {
    return undefined;
  }
}
