import type { ECSClient } from "@aws-sdk/client-ecs";
import { ConflictException, RunTaskCommand } from "@aws-sdk/client-ecs";
import type { EnvironmentNames } from "../../contracts/resource-names";
import { FLOW_CONTAINER_NAME, runOverrides } from "../../contracts/task-environment";
import { RUN_TASK_REFUSED } from "../core/classify-failure";
import type { TaskLauncher, TaskLaunchResult, TaskRequest } from "../core/ports";

export interface EcsTaskLauncherOptions {
  client: ECSClient;
  clusterArn: string;
  subnetIds: readonly string[];
  securityGroupIds: readonly string[];
  /** Where each flow's task-definition family is found. */
  names: Pick<EnvironmentNames, "taskFamily">;
}

/**
 * Errors in which ECS refuses the request itself: another try of the same request gets the same answer (an inactive
 * or missing task definition, a parameter out of range, a denied call, a platform the task cannot run on).
 */
const REFUSALS = new Set([
  "ClientException",
  "InvalidParameterException",
  "AccessDeniedException",
  "ClusterNotFoundException",
  "PlatformTaskDefinitionIncompatibilityException",
  "PlatformUnknownException",
  "UnsupportedFeatureException",
  "BlockedException",
]);

/** Whether ECS refused the request, as opposed to failing to answer it (throttling, a 5xx, the network). */
function isRefusal(error: unknown): boolean {
  return error instanceof Error && REFUSALS.has(error.name);
}

/** {@link TaskLauncher} on ECS Fargate: private subnets, no public IP, idempotent on the client token. */
export class EcsTaskLauncher implements TaskLauncher {
  constructor(private readonly options: EcsTaskLauncherOptions) {}

  async runTask(request: TaskRequest): Promise<TaskLaunchResult> {
    let response;
    try {
      response = await this.send(request);
    } catch (error) {
      // The token was already used by a different request (e.g. a task definition revised in between): ECS names
      // the task that request started, and that task is this attempt's.
      const adopted = error instanceof ConflictException ? error.resourceIds?.[0] : undefined;
      if (adopted) return { ok: true, taskArn: adopted };
      if (isRefusal(error)) {
        const { name, message } = error as Error;
        return { ok: false, refused: true, reason: `${RUN_TASK_REFUSED} (${name}): ${message}` };
      }
      throw error;
    }
    const taskArn = response.tasks?.[0]?.taskArn;
    if (taskArn) return { ok: true, taskArn };
    // RunTask reports capacity and placement problems as failures[] with HTTP 200 and no task.
    const failure = response.failures?.[0];
    return {
      ok: false,
      reason: failure?.reason ?? "RunTask returned no task and no failure",
      ...(failure?.detail && { detail: failure.detail }),
    };
  }

  private send(request: TaskRequest) {
    return this.options.client.send(
      new RunTaskCommand({
        cluster: this.options.clusterArn,
        taskDefinition: this.options.names.taskFamily(request.flow),
        launchType: "FARGATE",
        count: 1,
        clientToken: request.clientToken,
        startedBy: request.startedBy,
        networkConfiguration: {
          awsvpcConfiguration: {
            subnets: [...this.options.subnetIds],
            securityGroups: [...this.options.securityGroupIds],
            assignPublicIp: "DISABLED",
          },
        },
        overrides: {
          containerOverrides: [{ name: FLOW_CONTAINER_NAME, environment: runOverrides(request) }],
        },
        enableECSManagedTags: true,
        propagateTags: "TASK_DEFINITION",
        tags: [
          { key: "data-flows:flow", value: request.flow },
          { key: "data-flows:run-id", value: request.runId },
          { key: "data-flows:attempt", value: String(request.attempt) },
        ],
      }),
    );
  }
}
