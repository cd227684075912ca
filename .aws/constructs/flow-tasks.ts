import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { FunctionEnv } from "../../contracts/control-plane";
import type { EnvironmentNames } from "../../contracts/resource-names";
import { FLOW_CONTAINER_NAME, TaskEnv } from "../../contracts/task-environment";
import type { FlowDefinition } from "../../flows/registry/flow-definition";
import { allow, assumeRolePolicy, policyDocument } from "../iam";
import type { ControlPlaneFunction } from "./control-plane-function";
import type { Network } from "./network";

/** The Terraform name of the flow image repository: `aws_ecr_repository.<this>`. */
export const FLOW_IMAGE_REPOSITORY_ID = "flow_image_repository";

export interface FlowTasksProps {
  names: EnvironmentNames;
  region: string;
  accountId: string;
  /** Where the tasks run: private subnets and the task security group. */
  network: Network;
  flows: readonly FlowDefinition[];
  logRetentionDays: number;
  keepImages: number;
  cpuArchitecture: "X86_64" | "ARM64";
  /** The image tag every task definition pins (the commit SHA, given to `terraform apply`). */
  imageTag: string;
}

/** Where flows run: one image repository, one cluster, and per flow a task definition, its roles and its logs. */
export class FlowTasks extends Construct {
  readonly clusterArn: string;
  readonly clusterName: string;
  readonly repositoryUrl: string;
  /** Per flow: the resources the control plane's policies refer to. */
  readonly flows: {
    name: string;
    taskDefinitionArnWithoutRevision: string;
    logGroupArn: string;
    executionRoleArn: string;
    taskRoleArn: string;
  }[] = [];
  private readonly network: Network;
  private readonly region: string;
  private readonly accountId: string;

  constructor(scope: Construct, id: string, props: FlowTasksProps) {
    super(scope, id);
    const { names } = props;
    this.network = props.network;
    this.region = props.region;
    this.accountId = props.accountId;
    const repository = new EcrRepository(this, "repository", {
      name: names.imageRepository,
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: "AES256" }],
    });
    // A fixed address, so a first deploy can create the repository alone (`npm run deploy -- <env> --bootstrap`).
    repository.overrideLogicalId(FLOW_IMAGE_REPOSITORY_ID);
    new EcrLifecyclePolicy(this, "repository-lifecycle", {
      repository: repository.name,
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: "expire untagged images after a day",
            selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 1 },
            action: { type: "expire" },
          },
          {
            rulePriority: 2,
            description: `keep the newest ${props.keepImages} images`,
            selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: props.keepImages },
            action: { type: "expire" },
          },
        ],
      }),
    });
    const cluster = new EcsCluster(this, "cluster", {
      name: names.cluster,
      setting: [{ name: "containerInsights", value: "enabled" }],
    });
    this.clusterArn = cluster.arn;
    this.clusterName = cluster.name;
    this.repositoryUrl = repository.repositoryUrl;

    for (const flow of props.flows) {
      const family = names.taskFamily(flow.name);
      const logGroup = new CloudwatchLogGroup(this, `${flow.name}-logs`, {
        name: names.flowLogGroup(flow.name),
        retentionInDays: props.logRetentionDays,
      });
      // Parameters are made by operators, not by this stack: their ARNs can only be written out.
      const parameterArns = flow.secrets.map(
        (secret) => `arn:aws:ssm:${props.region}:${props.accountId}:parameter${names.secretParameter(secret)}`,
      );
      const executionRole = new IamRole(this, `${flow.name}-execution-role`, {
        name: `${family}-exec`,
        description: `ECS pulls the image, writes logs and reads the declared secrets of ${flow.name}`,
        assumeRolePolicy: assumeRolePolicy("ecs-tasks.amazonaws.com", {
          StringEquals: { "aws:SourceAccount": props.accountId },
        }),
      });
      new IamRolePolicy(this, `${flow.name}-execution-policy`, {
        role: executionRole.id,
        name: "pull-log-secrets",
        policy: policyDocument([
          allow(["ecr:GetAuthorizationToken"], ["*"]),
          allow(
            ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
            [repository.arn],
          ),
          allow(["logs:CreateLogStream", "logs:PutLogEvents"], [`${logGroup.arn}:log-stream:*`]),
          ...(parameterArns.length
            ? [
                allow(["ssm:GetParameters"], parameterArns),
                allow(["kms:Decrypt"], [`arn:aws:kms:${props.region}:${props.accountId}:alias/aws/ssm`], {
                  StringEquals: { "kms:ViaService": `ssm.${props.region}.amazonaws.com` },
                }),
              ]
            : []),
        ]),
      });
      // The flow's own AWS permissions; none by default. Grant them here, per flow, when a flow needs them.
      const taskRole = new IamRole(this, `${flow.name}-task-role`, {
        name: `${family}-task`,
        description: `What the ${flow.name} flow itself may call in AWS`,
        assumeRolePolicy: assumeRolePolicy("ecs-tasks.amazonaws.com", {
          StringEquals: { "aws:SourceAccount": props.accountId },
        }),
      });
      const taskDefinition = new EcsTaskDefinition(this, `${flow.name}-task-definition`, {
        family,
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: String(flow.cpu),
        memory: String(flow.memoryMiB),
        runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: props.cpuArchitecture },
        executionRoleArn: executionRole.arn,
        taskRoleArn: taskRole.arn,
        volume: [{ name: "tmp" }],
        containerDefinitions: JSON.stringify([
          {
            name: FLOW_CONTAINER_NAME,
            image: `${repository.repositoryUrl}:${props.imageTag}`,
            essential: true,
            ...(flow.command && { command: flow.command }),
            readonlyRootFilesystem: true,
            user: "1000:1000",
            stopTimeout: stopTimeoutSeconds(flow.timeoutMinutes),
            environment: [
              { name: TaskEnv.flow, value: flow.name },
              { name: TaskEnv.environment, value: names.ssmEnvironment },
              { name: TaskEnv.stopTimeoutSeconds, value: String(stopTimeoutSeconds(flow.timeoutMinutes)) },
              { name: "TMPDIR", value: "/tmp" },
            ],
            secrets: flow.secrets.map((secret, index) => ({ name: secret, valueFrom: parameterArns[index] })),
            mountPoints: [{ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false }],
            logConfiguration: {
              logDriver: "awslogs",
              options: {
                "awslogs-group": logGroup.name,
                "awslogs-region": props.region,
                "awslogs-stream-prefix": names.flowLogStreamPrefix(flow.name),
              },
            },
          },
        ]),
      });
      this.flows.push({
        name: flow.name,
        taskDefinitionArnWithoutRevision: taskDefinition.arnWithoutRevision,
        logGroupArn: logGroup.arn,
        executionRoleArn: executionRole.arn,
        taskRoleArn: taskRole.arn,
      });
    }
  }

  /** Every task of this cluster, as an IAM resource. Tasks are not Terraform resources: their ARN follows the cluster's. */
  get taskArns(): string {
    return `arn:aws:ecs:${this.region}:${this.accountId}:task/${this.clusterName}/*`;
  }

  /** Lets a function start flow tasks (the `tasks` port): where they run, RunTask, tagging and passing their roles. */
  grantRunTasks(fn: ControlPlaneFunction): void {
    fn.addEnvironmentNames();
    fn.addEnvironment({
      [FunctionEnv.clusterArn]: this.clusterArn,
      [FunctionEnv.subnetIds]: Fn.join(",", this.network.privateSubnetIds),
      [FunctionEnv.securityGroupIds]: this.network.taskSecurityGroupId,
    });
    fn.addToRolePolicy(
      allow(
        ["ecs:RunTask"],
        this.flows.map((flow) => `${flow.taskDefinitionArnWithoutRevision}:*`),
        this.inThisCluster,
      ),
      allow(["ecs:TagResource"], [this.taskArns], { StringEquals: { "ecs:CreateAction": "RunTask" } }),
      allow(
        ["iam:PassRole"],
        this.flows.flatMap((flow) => [flow.executionRoleArn, flow.taskRoleArn]),
        { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
      ),
    );
  }

  /** Lets a function stop and describe flow tasks (the `taskControl` port). */
  grantControlTasks(fn: ControlPlaneFunction): void {
    fn.addEnvironment({ [FunctionEnv.clusterArn]: this.clusterArn });
    fn.addToRolePolicy(allow(["ecs:StopTask", "ecs:DescribeTasks"], [this.taskArns], this.inThisCluster));
  }

  /** Tells a function which cluster's tasks are ours (the recorder ignores every other cluster's events). */
  bindTaskEvents(fn: ControlPlaneFunction): void {
    fn.addEnvironment({ [FunctionEnv.clusterArn]: this.clusterArn });
  }

  /** Lets a function read flow tasks' log lines (the `taskLogs` port, for the alert's log excerpt). */
  grantReadLogs(fn: ControlPlaneFunction): void {
    fn.addEnvironmentNames();
    fn.addToRolePolicy(
      allow(
        ["logs:GetLogEvents"],
        this.flows.map((flow) => `${flow.logGroupArn}:log-stream:*`),
      ),
    );
  }

  private get inThisCluster() {
    return { ArnEquals: { "ecs:cluster": this.clusterArn } };
  }
}

/**
 * How long ECS waits between SIGTERM and SIGKILL: 5 % of the flow's timeout, at least 30 s and at most Fargate's
 * 120 s, so a long dbt job has time to cancel its remote run and a short flow is not kept waiting.
 */
export function stopTimeoutSeconds(timeoutMinutes: number): number {
  return Math.min(120, Math.max(30, Math.round(timeoutMinutes * 60 * 0.05)));
}
