import { runOverrides } from "../contracts/task-environment";
import type { LocalCluster } from "../local/ecs-events";
import { clusterArnOf, taskArnOf, taskStateChangeEvent } from "../local/ecs-events";

export const BENCH_CLUSTER: LocalCluster = { region: "eu-west-1", account: "111122223333", name: "data-flows-bench" };
export const BENCH_CLUSTER_ARN = clusterArnOf(BENCH_CLUSTER);

/** What RunTask was asked for: enough to write the events ECS would send about the task it started. */
export interface StartedTask {
  taskId: string;
  flow: string;
  runId: string;
  attempt: number;
  params: Record<string, string>;
  dataInterval: { start: string; end: string };
  startedBy: string;
}

export const taskArnOfStarted = (task: StartedTask, cluster: LocalCluster = BENCH_CLUSTER) =>
  taskArnOf(cluster, task.taskId);

/**
 * The six ECS Task State Change events a Fargate task's life produces, versions 1 to 6, as EventBridge delivers them:
 * PROVISIONING, PENDING, RUNNING, RUNNING again when the essential container exits (desiredStatus STOPPED, the
 * container STOPPED with its exit code: "the container state within a task changes" is one of the documented causes of
 * a task state change event), DEPROVISIONING and STOPPED. RUNNING is version 3 and STOPPED version 6, as in the
 * fixtures captured from ECS (tests/fixtures/ecs).
 */
export function taskLifecycleEvents(
  task: StartedTask,
  exitCode: number,
  at: Date,
  cluster: LocalCluster = BENCH_CLUSTER,
) {
  const facts = {
    cluster,
    taskId: task.taskId,
    family: `data-flows-bench-${task.flow}`,
    cpu: 256,
    memoryMiB: 512,
    startedBy: task.startedBy,
    environment: runOverrides(task),
    createdAt: at.toISOString(),
  };
  const iso = (seconds: number) => new Date(at.getTime() + seconds * 1000).toISOString();
  const startedAt = iso(40);
  const stoppedAt = iso(100);
  const exited = taskStateChangeEvent(facts, { lastStatus: "RUNNING", version: 4, at: iso(95), startedAt, exitCode });
  const exitedDetail = exited.detail as { desiredStatus: string; containers: { lastStatus: string }[] };
  exitedDetail.desiredStatus = "STOPPED";
  for (const container of exitedDetail.containers) container.lastStatus = "STOPPED";
  return [
    taskStateChangeEvent(facts, { lastStatus: "PROVISIONING", version: 1, at: iso(1) }),
    taskStateChangeEvent(facts, { lastStatus: "PENDING", version: 2, at: iso(20) }),
    taskStateChangeEvent(facts, { lastStatus: "RUNNING", version: 3, at: iso(40), startedAt }),
    exited,
    taskStateChangeEvent(facts, { lastStatus: "DEPROVISIONING", version: 5, at: iso(98), startedAt }),
    taskStateChangeEvent(facts, {
      lastStatus: "STOPPED",
      version: 6,
      at: iso(100),
      startedAt,
      stoppedAt,
      exitCode,
      stopCode: "EssentialContainerExited",
      stoppedReason: "Essential container in task exited",
    }),
  ];
}
