import { randomUUID } from "node:crypto";
import { FLOW_CONTAINER_NAME } from "../contracts/task-environment";

/** Where a local task runs, in the ARN shapes ECS uses, so local events read like the real ones. */
export interface LocalCluster {
  region: string;
  account: string;
  name: string;
}

export const taskArnOf = (cluster: LocalCluster, taskId: string) =>
  `arn:aws:ecs:${cluster.region}:${cluster.account}:task/${cluster.name}/${taskId}`;

export const clusterArnOf = (cluster: LocalCluster) =>
  `arn:aws:ecs:${cluster.region}:${cluster.account}:cluster/${cluster.name}`;

export interface LocalTaskFacts {
  cluster: LocalCluster;
  taskId: string;
  family: string;
  cpu: number;
  memoryMiB: number;
  startedBy: string;
  /** Container environment overrides, as RunTask received them. */
  environment: { name: string; value: string }[];
  createdAt: string;
}

export interface LocalTaskState {
  lastStatus: "PROVISIONING" | "PENDING" | "RUNNING" | "DEPROVISIONING" | "STOPPED";
  version: number;
  at: string;
  startedAt?: string;
  stoppedAt?: string;
  exitCode?: number;
  /** The container's own reason (ECS reports e.g. OutOfMemoryError here). */
  containerReason?: string;
  stopCode?: string;
  stoppedReason?: string;
}

/** An "ECS Task State Change" event with the fields and shapes EventBridge delivers (see tests/fixtures/ecs). */
export function taskStateChangeEvent(task: LocalTaskFacts, state: LocalTaskState) {
  const { cluster } = task;
  const taskArn = taskArnOf(cluster, task.taskId);
  const stopped = state.lastStatus === "STOPPED";
  const started = state.startedAt !== undefined;
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "ECS Task State Change",
    source: "aws.ecs",
    account: cluster.account,
    time: `${state.at.slice(0, 19)}Z`,
    region: cluster.region,
    resources: [taskArn],
    detail: {
      clusterArn: clusterArnOf(cluster),
      containers: [
        {
          containerArn: `arn:aws:ecs:${cluster.region}:${cluster.account}:container/${cluster.name}/${task.taskId}/${FLOW_CONTAINER_NAME}`,
          lastStatus: stopped ? "STOPPED" : started ? "RUNNING" : "PENDING",
          name: FLOW_CONTAINER_NAME,
          taskArn,
          ...(state.exitCode !== undefined && { exitCode: state.exitCode }),
          ...(state.containerReason !== undefined && { reason: state.containerReason }),
          cpu: "0",
        },
      ],
      cpu: String(task.cpu),
      memory: String(task.memoryMiB),
      createdAt: task.createdAt,
      desiredStatus: stopped || state.lastStatus === "DEPROVISIONING" ? "STOPPED" : "RUNNING",
      group: `family:${task.family}`,
      launchType: "FARGATE",
      lastStatus: state.lastStatus,
      overrides: { containerOverrides: [{ name: FLOW_CONTAINER_NAME, environment: task.environment }] },
      platformVersion: "1.4.0",
      startedBy: task.startedBy,
      ...(state.startedAt !== undefined && { startedAt: state.startedAt }),
      ...(state.stopCode !== undefined && { stopCode: state.stopCode }),
      ...(state.stoppedReason !== undefined && { stoppedReason: state.stoppedReason }),
      ...(state.stoppedAt !== undefined && { stoppedAt: state.stoppedAt, executionStoppedAt: state.stoppedAt }),
      updatedAt: state.at,
      taskArn,
      taskDefinitionArn: `arn:aws:ecs:${cluster.region}:${cluster.account}:task-definition/${task.family}:1`,
      version: state.version,
    },
  };
}
