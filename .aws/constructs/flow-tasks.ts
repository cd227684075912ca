import { createHash } from "node:crypto";
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
import { WATERMARK_WRITE_ATTRIBUTES } from "../../contracts/runs-table";
import { FLOW_CONTAINER_NAME, stopTimeoutSeconds, taskDefinitionEnvironment } from "../../contracts/task-environment";
import type { FlowImage } from "../../contracts/flow-images";
import { FLOW_IMAGE_NAMES } from "../../contracts/flow-images";
import type { FlowDefinition } from "../../flows/registry/flow-definition";
import { flowImageOf } from "../../flows/registry/flow-definition";
import { allow, assumeRolePolicy, parameterArn, policyDocument, readParameters } from "../iam";
import type { ControlPlaneFunction } from "./control-plane-function";
import type { Network } from "./network";

/**
 * The Terraform name of each flow image's repository: `aws_ecr_repository.<this>`. Fixed, so a first deploy can create
 * the repositories alone (`npm run deploy -- <env> --bootstrap`) and the pipeline can push the first images.
 */
export const FLOW_IMAGE_REPOSITORY_IDS: Readonly<Record<FlowImage, string>> = {
  node: "flow_image_repository",
  python: "flow_image_repository_python",
};

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
  /** Where flows that keep a watermark write their proposals. */
  runsTable: { name: string; arn: string };
  /** The image tag every task definition pins (the commit SHA, given to `terraform apply`). */
  imageTag: string;
}

/** Where flows run: one image repository, one cluster, and per flow a task definition, its roles and its logs. */
export class FlowTasks extends Construct {
  readonly clusterArn: string;
  readonly clusterName: string;
  /** Per flow image, its repository's URL (the pipeline pushes `<url>:<commit sha>`). */
  readonly repositoryUrls: Record<FlowImage, string>;
  /** Per flow: its task definition. */
  readonly flows: { name: string; taskDefinitionArnWithoutRevision: string }[] = [];
  /**
   * The roles ECS assumes for flow tasks: one execution role per set of declared secrets; one task role shared by
   * every flow that calls nothing, and one of its own for each flow that keeps a watermark.
   */
  readonly executionRoleArns: string[];
  readonly taskRoleArns: string[];
  private readonly network: Network;
  private readonly names: EnvironmentNames;
  private readonly region: string;
  private readonly accountId: string;

  constructor(scope: Construct, id: string, props: FlowTasksProps) {
    super(scope, id);
    const { names } = props;
    this.network = props.network;
    this.names = props.names;
    this.region = props.region;
    this.accountId = props.accountId;
    const repositories = Object.fromEntries(
      FLOW_IMAGE_NAMES.map((image) => [image, this.imageRepository(image, names, props.keepImages)]),
    ) as Record<FlowImage, EcrRepository>;
    const cluster = new EcsCluster(this, "cluster", {
      name: names.cluster,
      setting: [{ name: "containerInsights", value: "enabled" }],
    });
    this.clusterArn = cluster.arn;
    this.clusterName = cluster.name;
    this.repositoryUrls = Object.fromEntries(
      FLOW_IMAGE_NAMES.map((image) => [image, repositories[image].repositoryUrl]),
    ) as Record<FlowImage, string>;

    // Roles are shared where permissions are the same, so an account's 1,000-role quota is never the limit: one empty
    // task role for every flow, and one execution role per set of declared secrets (a flow still reads only the
    // secrets it declared: every flow with that role declared the same ones).
    const taskRole = new IamRole(this, "task-role", {
      name: `${names.prefix}-flows-task`,
      description: "What flows themselves may call in AWS: nothing. Give a flow that needs AWS its own role.",
      assumeRolePolicy: assumeRolePolicy("ecs-tasks.amazonaws.com", {
        StringEquals: { "aws:SourceAccount": props.accountId },
      }),
    });
    this.taskRoleArns = [taskRole.arn];
    const taskRoleFor = (flow: FlowDefinition): IamRole => {
      if (!flow.watermark) return taskRole;
      const role = new IamRole(this, `${flow.name}-task-role`, {
        name: `${names.prefix}-flow-${flow.name}`,
        description: `What flow ${flow.name} may call in AWS: propose its watermark on its own runs' items`,
        assumeRolePolicy: assumeRolePolicy("ecs-tasks.amazonaws.com", {
          StringEquals: { "aws:SourceAccount": props.accountId },
        }),
      });
      new IamRolePolicy(this, `${flow.name}-task-policy`, {
        role: role.id,
        name: "propose-watermark",
        policy: policyDocument([
          // DynamoDB fine-grained access control: items whose partition key is one of this flow's runs, and of those
          // only the proposal attribute (with the key attributes every request names); nothing read back.
          allow(["dynamodb:UpdateItem"], [props.runsTable.arn], {
            "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [`RUN#${flow.name}/*`] },
            "ForAllValues:StringEquals": { "dynamodb:Attributes": [...WATERMARK_WRITE_ATTRIBUTES] },
            StringEqualsIfExists: { "dynamodb:ReturnValues": "NONE" },
          }),
        ]),
      });
      this.taskRoleArns.push(role.arn);
      return role;
    };
    const parameterArnsOf = (secrets: readonly string[]) =>
      secrets.map((secret) => parameterArn(props.region, props.accountId, names.secretParameter(secret)));
    const executionRoles = new Map<string, IamRole>();
    // One per image and set of secrets: a role pulls only its own image's repository.
    const executionRoleFor = (image: FlowImage, secrets: readonly string[]): IamRole => {
      const key = `${image === "node" ? "" : `${image}-`}${secretSetKey(secrets)}`;
      const existing = executionRoles.get(key);
      if (existing) return existing;
      const role = new IamRole(this, `execution-role-${key}`, {
        name: `${names.prefix}-flows-exec-${key}`,
        description: secrets.length
          ? `ECS pulls the ${image} flow image, writes flow logs and reads ${[...secrets].sort().join(", ")}`
          : `ECS pulls the ${image} flow image and writes flow logs (flows that declare no secrets)`,
        assumeRolePolicy: assumeRolePolicy("ecs-tasks.amazonaws.com", {
          StringEquals: { "aws:SourceAccount": props.accountId },
        }),
      });
      new IamRolePolicy(this, `execution-policy-${key}`, {
        role: role.id,
        name: "pull-log-secrets",
        policy: policyDocument([
          allow(["ecr:GetAuthorizationToken"], ["*"]),
          allow(
            ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
            [repositories[image].arn],
          ),
          allow(["logs:CreateLogStream", "logs:PutLogEvents"], [this.flowLogStreams]),
          ...(secrets.length
            ? readParameters("ssm:GetParameters", props.region, props.accountId, parameterArnsOf(secrets))
            : []),
        ]),
      });
      executionRoles.set(key, role);
      return role;
    };

    for (const flow of props.flows) {
      const logGroup = new CloudwatchLogGroup(this, `${flow.name}-logs`, {
        name: names.flowLogGroup(flow.name),
        retentionInDays: props.logRetentionDays,
      });
      const parameterArns = parameterArnsOf(flow.secrets);
      const image = flowImageOf(flow);
      const taskDefinition = new EcsTaskDefinition(this, `${flow.name}-task-definition`, {
        family: names.taskFamily(flow.name),
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: String(flow.cpu),
        memory: String(flow.memoryMiB),
        runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: props.cpuArchitecture },
        executionRoleArn: executionRoleFor(image, flow.secrets).arn,
        taskRoleArn: taskRoleFor(flow).arn,
        volume: [{ name: "tmp" }],
        containerDefinitions: JSON.stringify([
          {
            name: FLOW_CONTAINER_NAME,
            image: `${repositories[image].repositoryUrl}:${props.imageTag}`,
            essential: true,
            ...(flow.run && { command: flow.run.command }),
            readonlyRootFilesystem: true,
            user: "1000:1000",
            stopTimeout: stopTimeoutSeconds(flow.timeoutMinutes),
            environment: [
              ...taskDefinitionEnvironment({
                flow: flow.name,
                ssmEnvironment: names.ssmEnvironment,
                stopTimeoutSeconds: stopTimeoutSeconds(flow.timeoutMinutes),
                secrets: flow.secrets,
                allowedHosts: flow.allowedHosts,
                ...(flow.watermark && { watermark: { runsTable: props.runsTable.name, region: props.region } }),
              }),
              // The container's root is read-only: temporary files go to the task volume mounted there.
              { name: "TMPDIR", value: "/tmp" },
            ],
            secrets: flow.secrets.map((secret, index) => ({ name: secret, valueFrom: parameterArns[index] })),
            // The flow's user can write here only because the image declares VOLUME /tmp with mode 1777: a task
            // volume takes its permissions from the image, and is root-owned 0755 otherwise.
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
        // A new revision is registered before the old one is deregistered: RunTask never meets a family with none.
        lifecycle: { createBeforeDestroy: true },
      });
      this.flows.push({ name: flow.name, taskDefinitionArnWithoutRevision: taskDefinition.arnWithoutRevision });
    }
    this.executionRoleArns = [...executionRoles.values()].map((role) => role.arn);
  }

  /** A flow image's repository: immutable tags (the commit SHA), scanned on push, the newest `keepImages` kept. */
  private imageRepository(image: FlowImage, names: EnvironmentNames, keepImages: number): EcrRepository {
    const suffix = image === "node" ? "" : `-${image}`;
    const repository = new EcrRepository(this, `repository${suffix}`, {
      name: names.imageRepository(image),
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: "AES256" }],
    });
    repository.overrideLogicalId(FLOW_IMAGE_REPOSITORY_IDS[image]);
    new EcrLifecyclePolicy(this, `repository${suffix}-lifecycle`, {
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
            description: `keep the newest ${keepImages} images`,
            selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keepImages },
            action: { type: "expire" },
          },
        ],
      }),
    });
    return repository;
  }

  /** Every task of this cluster, as an IAM resource. Tasks are not Terraform resources: their ARN follows the cluster's. */
  get taskArns(): string {
    return `arn:aws:ecs:${this.region}:${this.accountId}:task/${this.clusterName}/*`;
  }

  /** The cluster's container instances: what ListTasks is authorised on, even for Fargate tasks. */
  private get containerInstanceArns(): string {
    return `arn:aws:ecs:${this.region}:${this.accountId}:container-instance/${this.clusterName}/*`;
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
      // Every revision of this environment's flow families, by prefix: a list of 500 families would pass IAM's
      // 10,240-character limit for a role's inline policies.
      allow(["ecs:RunTask"], [`${this.taskDefinitionPrefix}*:*`], this.inThisCluster),
      allow(["ecs:TagResource"], [this.taskArns], { StringEquals: { "ecs:CreateAction": "RunTask" } }),
      allow(["iam:PassRole"], [...this.executionRoleArns, ...this.taskRoleArns], {
        StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" },
      }),
    );
  }

  /** Lets functions stop and describe flow tasks (the `taskControl` port). */
  grantControlTasks(...fns: ControlPlaneFunction[]): void {
    for (const fn of fns) {
      fn.addEnvironment({ [FunctionEnv.clusterArn]: this.clusterArn });
      fn.addToRolePolicy(allow(["ecs:StopTask", "ecs:DescribeTasks"], [this.taskArns], this.inThisCluster));
      fn.addToRolePolicy(allow(["ecs:ListTasks"], [this.containerInstanceArns], this.inThisCluster));
    }
  }

  /** Tells a function which cluster's tasks are ours (the recorder ignores every other cluster's events). */
  bindTaskEvents(fn: ControlPlaneFunction): void {
    fn.addEnvironment({ [FunctionEnv.clusterArn]: this.clusterArn });
  }

  /** Lets a function read flow tasks' log lines (the `taskLogs` port, for the alert's log excerpt). */
  grantReadLogs(fn: ControlPlaneFunction): void {
    fn.addEnvironmentNames();
    fn.addToRolePolicy(allow(["logs:GetLogEvents"], [this.flowLogStreams]));
  }

  /** Every stream of this environment's flow log groups (`/data-flows/<env>/flows/*`). */
  private get flowLogStreams(): string {
    return `arn:aws:logs:${this.region}:${this.accountId}:log-group:${this.names.flowLogGroup("*")}:log-stream:*`;
  }

  /** `arn:…:task-definition/data-flows-<env>-`: every flow family of this environment starts so. */
  private get taskDefinitionPrefix(): string {
    return `arn:aws:ecs:${this.region}:${this.accountId}:task-definition/${this.names.taskFamily("")}`;
  }

  private get inThisCluster() {
    return { ArnEquals: { "ecs:cluster": this.clusterArn } };
  }
}

/** A short, stable name for a set of secrets: `none`, or 8 hex digits of its sorted names. */
function secretSetKey(secrets: readonly string[]): string {
  if (secrets.length === 0) return "none";
  return createHash("sha256")
    .update([...secrets].sort().join(","))
    .digest("hex")
    .slice(0, 8);
}
