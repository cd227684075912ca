import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { FLOW_SECRET_NAMES } from "../contracts/flow-secrets";
import type { EnvironmentNames } from "../contracts/resource-names";
import { FLOW_CONTAINER_NAME, runOverrides, runReferenceOf, TaskEnv } from "../contracts/task-environment";
import type { FlowRegistry } from "../flows/registry/flow-registry";
import type { TaskControl, TaskLauncher, TaskLaunchResult, TaskLookup, TaskRequest } from "../lambdas/core/ports";
import type { LocalCluster, LocalTaskFacts, LocalTaskState } from "./ecs-events";
import { clusterArnOf, taskArnOf, taskStateChangeEvent } from "./ecs-events";

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
  /** Environment the developer's shell provides: where declared secrets come from locally, instead of SSM. */
  hostEnv: NodeJS.ProcessEnv;
}

interface LocalTask {
  facts: LocalTaskFacts;
  version: number;
  /** The last state it reported, for DescribeTasks. */
  last?: Omit<LocalTaskState, "version" | "at">;
  /** The flow's last ERROR log message: locally it becomes the container's reason (in AWS, read the log). */
  lastError?: string;
  stopRequested?: string;
  kill?: (signal: NodeJS.Signals) => void;
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
    task.done = this.run(task, request, flow.command ?? RUNTIME_COMMAND, flow.secrets);
    return { ok: true, taskArn };
  }

  /** Stops a task as `StopTask` does: SIGTERM now, the STOPPED event says UserInitiated with the given reason. */
  async stopTask(taskArn: string, reason: string): Promise<void> {
    const task = this.tasks.get(taskArn);
    if (!task?.kill) return;
    task.stopRequested ??= reason; // as in ECS, the first stop's reason is the one reported
    task.kill("SIGTERM");
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

  /** Stops every running task and waits until each has reported STOPPED. */
  async close(): Promise<void> {
    for (const [taskArn] of this.tasks) await this.stopTask(taskArn, "Local control plane shutting down");
    await Promise.all([...this.tasks.values()].map((task) => task.done));
  }

  private async emit(task: LocalTask, state: Omit<LocalTaskState, "version" | "at">): Promise<void> {
    task.version += 1;
    task.last = state;
    const event = taskStateChangeEvent(task.facts, { ...state, version: task.version, at: new Date().toISOString() });
    await this.options.deliver(event);
  }

  private async run(task: LocalTask, request: TaskRequest, command: string[], secrets: readonly string[]) {
    await this.emit(task, { lastStatus: "PROVISIONING" });
    await this.emit(task, { lastStatus: "PENDING" });
    const logFile = join(this.options.logsDir, request.flow, `${task.facts.taskId}.log`);
    mkdirSync(join(this.options.logsDir, request.flow), { recursive: true });
    const log = createWriteStream(logFile, { flags: "a" });
    const [executable, ...args] = command as [string, ...string[]];
    const child = spawn(executable, args, {
      cwd: this.options.workdir,
      env: this.containerEnvironment(request, secrets, task.facts.environment),
      stdio: ["ignore", "pipe", "pipe"],
    });
    task.kill = (signal) => child.kill(signal);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
      child.once("error", (error) => resolve({ code: null, signal: null, error }));
      child.once("close", (code, signal) => resolve({ code, signal }));
    });
    const startedAt = await new Promise<string | undefined>((resolve) => {
      child.once("spawn", () => resolve(new Date().toISOString()));
      child.once("error", () => resolve(undefined));
    });
    if (startedAt) {
      for (const stream of [child.stdout, child.stderr]) {
        createInterface({ input: stream }).on("line", (text) => {
          log.write(`${text}\n`);
          task.lastError = errorMessageOf(text) ?? task.lastError;
          this.options.onOutput?.({ flow: request.flow, runId: request.runId, text });
        });
      }
      await this.emit(task, { lastStatus: "RUNNING", startedAt });
    }
    const result = await exited;
    task.kill = undefined;
    await new Promise<void>((resolve) => log.end(resolve));
    const stoppedAt = new Date().toISOString();
    if (!startedAt) {
      await this.emit(task, {
        lastStatus: "STOPPED",
        stoppedAt,
        stopCode: "TaskFailedToStart",
        stoppedReason: `CannotStartContainerError: ${result.error?.message ?? "the container did not start"}`,
      });
      return;
    }
    await this.emit(task, { lastStatus: "DEPROVISIONING", startedAt });
    // A process killed by a signal has no exit code of its own; Docker reports 128 + the signal number.
    const exitCode = result.code ?? 128 + (result.signal === "SIGKILL" ? 9 : 15);
    await this.emit(task, {
      lastStatus: "STOPPED",
      startedAt,
      stoppedAt,
      exitCode,
      ...(exitCode !== 0 && task.lastError && { containerReason: task.lastError }),
      stopCode: task.stopRequested ? "UserInitiated" : "EssentialContainerExited",
      stoppedReason: task.stopRequested ?? "Essential container in task exited",
    });
  }

  /** What ECS would give the container: task-definition variables, declared secrets only, and the RunTask overrides. */
  private containerEnvironment(
    request: TaskRequest,
    secrets: readonly string[],
    overrides: LocalTaskFacts["environment"],
  ): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...this.options.hostEnv };
    for (const name of FLOW_SECRET_NAMES) delete env[name];
    for (const name of secrets) if (this.options.hostEnv[name]) env[name] = this.options.hostEnv[name];
    env[TaskEnv.flow] = request.flow;
    env[TaskEnv.environment] = this.options.names.ssmEnvironment;
    for (const { name, value } of overrides) env[name] = value;
    return env;
  }
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
