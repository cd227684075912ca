import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Backend, TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import type { ControlPlaneFunctionName } from "../contracts/control-plane";
import { CONTROL_PLANE_FUNCTIONS, FUNCTION_TIMEOUT_SECONDS } from "../contracts/control-plane";
import type { FlowRegistry } from "../flows/registry/flow-registry";
import type { EnvironmentConfig } from "./config";
import { AWS_PROVIDER_VERSIONS, namesOf, TERRAFORM_VERSION } from "./config";
import { ControlPlaneFunction } from "./constructs/control-plane-function";
import { EventRouting } from "./constructs/event-routing";
import { FlowTasks } from "./constructs/flow-tasks";
import { Network } from "./constructs/network";
import { OnCall } from "./constructs/on-call";
import { OperatorAccess } from "./constructs/operator-access";
import { RunsTable } from "./constructs/runs-table";
import { Scheduling } from "./constructs/scheduling";

export interface DataFlowsStackProps {
  config: EnvironmentConfig;
  registry: FlowRegistry;
  /** The esbuild bundle folder of each control-plane function. */
  bundles: Record<ControlPlaneFunctionName, string>;
}

const FUNCTION_SIZES: Record<ControlPlaneFunctionName, { memoryMiB: number; reservedConcurrency: number }> = {
  // ECS takes 20 RunTask calls a second (Fargate's rate quota), and one launcher execution makes about 5 (RunTask
  // ~150 ms plus its writes): 4 keep a burst of fires waiting in Lambda's asynchronous queue instead of being
  // throttled by ECS into failed invocations. bench section 5: 10,000 fires in one minute, 0 throttled RunTask calls,
  // 0 failed invocations (with 20: ~8,000 throttled, ~2,600 failed).
  launcher: { memoryMiB: 256, reservedConcurrency: 4 },
  recorder: { memoryMiB: 256, reservedConcurrency: 20 },
  alerter: { memoryMiB: 256, reservedConcurrency: 5 },
  reaper: { memoryMiB: 256, reservedConcurrency: 1 },
};

/** One environment of data-flows: network, flow tasks, runs table, control-plane functions, schedules and alarms. */
export class DataFlowsStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: DataFlowsStackProps) {
    super(scope, id);
    const { config, registry } = props;
    const names = namesOf(config);

    new AwsProvider(this, "aws", {
      region: config.region,
      allowedAccountIds: [config.accountId],
      defaultTags: [{ tags: { project: "data-flows", environment: config.environment, "managed-by": "terraform" } }],
    });
    this.addOverride("terraform.required_version", `>= ${TERRAFORM_VERSION}, < 2.0.0`);
    // The provider bindings are generated for 6.x; `npm run validate:infra` checks the stacks on the release the lock
    // file pins (.aws/.terraform.lock.hcl), so both stay valid.
    this.addOverride("terraform.required_providers.aws.version", AWS_PROVIDER_VERSIONS);
    new S3Backend(this, {
      bucket: config.stateBackend.bucket,
      key: config.stateBackend.key,
      region: config.stateBackend.region,
      dynamodbTable: config.stateBackend.lockTable,
      encrypt: true,
    });
    const imageTag = new TerraformVariable(this, "image_tag", {
      type: "string",
      description: "Tag of the flow image in ECR that every task definition pins (the commit SHA)",
    });

    const network = new Network(this, "network", {
      prefix: names.prefix,
      region: config.region,
      network: config.network,
    });
    const runs = new RunsTable(this, "runs", {
      name: names.runsTable,
      deletionProtection: config.tableDeletionProtection,
      retentionDays: config.runRetentionDays,
    });
    const tasks = new FlowTasks(this, "flow-tasks", {
      names,
      region: config.region,
      accountId: config.accountId,
      network,
      flows: registry.flows,
      logRetentionDays: config.logRetentionDays,
      keepImages: config.keepImages,
      cpuArchitecture: config.flowImageArchitecture,
      imageTag: imageTag.stringValue,
      runsTable: { name: runs.table.name, arn: runs.table.arn },
    });
    const onCall = new OnCall(this, "on-call", { names, region: config.region, accountId: config.accountId });

    const functions = Object.fromEntries(
      CONTROL_PLANE_FUNCTIONS.map((name) => [
        name,
        new ControlPlaneFunction(this, name, {
          name,
          names,
          bundleDir: props.bundles[name],
          ...FUNCTION_SIZES[name],
          timeoutSeconds: FUNCTION_TIMEOUT_SECONDS[name],
          logRetentionDays: config.logRetentionDays,
          tracing: config.tracing,
          alarms: {
            topicArn: onCall.alarmTopic.arn,
            errorsPerPeriod: config.alarms.functionErrorsPerPeriod,
            periodSeconds: config.alarms.periodSeconds,
          },
        }),
      ]),
    ) as Record<ControlPlaneFunctionName, ControlPlaneFunction>;
    const { launcher, recorder, alerter, reaper } = functions;

    const scheduling = new Scheduling(this, "scheduling", {
      names,
      region: config.region,
      accountId: config.accountId,
      flows: registry.flows,
      launcher,
      retryBaseDelaySeconds: config.retryBaseDelaySeconds,
      alarms: { topicArn: onCall.alarmTopic.arn, periodSeconds: config.alarms.periodSeconds },
    });
    const routing = new EventRouting(this, "routing", {
      names,
      registry,
      clusterArn: tasks.clusterArn,
      functions,
      alarms: { topicArn: onCall.alarmTopic.arn, periodSeconds: config.alarms.periodSeconds },
    });

    // What each function may touch, as `lambdas/composition-root.ts` wires its ports (a test holds the two together).
    runs.grantReadWrite(launcher, recorder, alerter, reaper);
    routing.grantPublish(launcher, recorder, reaper);
    scheduling.grantRetries(launcher, recorder, reaper);
    tasks.grantRunTasks(launcher);
    tasks.bindTaskEvents(recorder);
    // The launcher and the recorder stop stray tasks (two launches of one attempt racing); the reaper, timeouts.
    tasks.grantControlTasks(launcher, recorder, reaper);
    launcher.grantInvoke(reaper);
    tasks.grantReadLogs(alerter);
    onCall.bindAlerter(alerter);
    const operators = new OperatorAccess(this, "operators", {
      names,
      region: config.region,
      accountId: config.accountId,
      launcher,
      runsTableArn: runs.table.arn,
    });

    new TerraformOutput(this, "cluster_name", { value: tasks.clusterName });
    new TerraformOutput(this, "runs_table_name", { value: runs.table.name });
    new TerraformOutput(this, "ecr_repository_url", { value: tasks.repositoryUrls.node });
    new TerraformOutput(this, "ecr_python_repository_url", { value: tasks.repositoryUrls.python });
    new TerraformOutput(this, "egress_ip", {
      value: network.egressIp,
      description: "The NAT gateway's public address: allow-list it in Snowflake (network policy) or Redshift",
    });
    new TerraformOutput(this, "launcher_function_name", { value: launcher.functionName });
    new TerraformOutput(this, "launcher_url", {
      value: operators.url.functionUrl,
      description: "Where the CLI and the page send operators' commands, IAM-signed (the CLI finds it itself)",
    });
    new TerraformOutput(this, "viewer_policy_arn", {
      value: operators.viewerPolicy.arn,
      description: "Attach to who may read runs and logs",
    });
    new TerraformOutput(this, "operator_policy_arn", {
      value: operators.operatorPolicy.arn,
      description: "Attach to who may also run, cancel, pause and backfill flows",
    });
    new TerraformOutput(this, "event_bus_name", { value: routing.bus.name });
  }
}
