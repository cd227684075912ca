import { matchesPattern } from "../../contracts/event-pattern";
import "cdktf/lib/testing/adapters/jest";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Testing } from "cdktf";
import { environments } from "../../.aws/config";
import { ecsEvent } from "../support/fixtures";
import { loadRegistry } from "../../flows/index";

const registry = loadRegistry();
import type { FlowInput } from "../../flows/registry/flow-definition";
import { defineRegistry } from "../../flows/registry/flow-registry";
import { FLOW_IMAGE_NAMES } from "../../contracts/flow-images";
import { RUNS_TABLE } from "../../contracts/runs-table";
import type { TerraformJson } from "../support/synth";
import {
  policiesOfRole,
  policyDocuments,
  referencedResource,
  resources,
  synthesizeStack,
  taskDefinitionOf,
} from "../support/synth";

const flows: FlowInput[] = [
  {
    name: "orders-daily",
    description: "Snowflake load",
    owner: "@data-eng",
    schedule: { cron: "0 6 * * 1-5", timezone: "Europe/London" },
    secrets: ["SNOWFLAKE_PRIVATE_KEY", "SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER"],
    cpu: 512,
    memoryMiB: 1024,
    timeoutMinutes: 90,
  },
  {
    name: "dbt-nightly",
    description: "dbt Cloud job",
    owner: "@analytics",
    schedule: { cron: "0 2 * * *", timezone: "America/New_York" },
    secrets: ["DBT_CLOUD_TOKEN", "DBT_CLOUD_ACCOUNT_ID"],
    timeoutMinutes: 20,
  },
  { name: "paused", description: "disabled", owner: "@o", schedule: { rate: "1 hour", enabled: false } },
  { name: "after-orders", description: "follows orders-daily", owner: "@o", upstream: ["orders-daily"] },
];
const testRegistry = defineRegistry(flows);

Testing.setupJest();

describe.each(["dev", "prod"] as const)("the %s stack", (environment) => {
  const config = environments[environment];
  let synthesized: string;
  let terraform: TerraformJson;

  beforeAll(async () => {
    ({ synthesized, terraform } = await synthesizeStack(config, testRegistry));
  });

  describe("state and provider", () => {
    it("keeps state in the environment's S3 backend with locking", () => {
      expect(terraform.terraform.backend.s3).toEqual({
        bucket: config.stateBackend.bucket,
        key: config.stateBackend.key,
        region: config.stateBackend.region,
        dynamodb_table: config.stateBackend.lockTable,
        encrypt: true,
      });
    });

    it("refuses to apply with credentials for another account", () => {
      expect(terraform.provider.aws[0]).toMatchObject({
        region: config.region,
        allowed_account_ids: [config.accountId],
      });
    });

    it("takes the image tag as a variable, pinned by every task definition", () => {
      expect(terraform.variable).toHaveProperty("image_tag");
      for (const definition of resources(terraform, "aws_ecs_task_definition")) {
        expect(JSON.parse(definition.container_definitions)[0].image).toMatch(/:\$\{var\.image_tag\}$/);
      }
    });
  });

  describe("runs table", () => {
    it("is the shared definition: keys, both GSIs, TTL, on demand", () => {
      expect(synthesized).toHaveResourceWithProperties(DynamodbTable, {
        name: `data-flows-${environment}-runs`,
        billing_mode: "PAY_PER_REQUEST",
        hash_key: RUNS_TABLE.partitionKey,
        range_key: RUNS_TABLE.sortKey,
        ttl: { attribute_name: RUNS_TABLE.ttlAttribute, enabled: true },
      });
      const [table] = resources(terraform, "aws_dynamodb_table");
      expect(table!.global_secondary_index.map((index: { name: string }) => index.name).sort()).toEqual([
        "active",
        "byFlow",
      ]);
    });

    it("has point-in-time recovery and server-side encryption", () => {
      expect(synthesized).toHaveResourceWithProperties(DynamodbTable, {
        point_in_time_recovery: { enabled: true },
        server_side_encryption: { enabled: true },
      });
    });

    it("is protected from deletion as configured", () => {
      expect(resources(terraform, "aws_dynamodb_table")[0]!.deletion_protection_enabled).toBe(
        config.tableDeletionProtection,
      );
    });
  });

  describe("flow tasks", () => {
    const definitionOf = (flow: string) => {
      const definition = resources(terraform, "aws_ecs_task_definition").find(
        (d) => d.family === `data-flows-${environment}-${flow}`,
      );
      return { definition, container: JSON.parse(definition!.container_definitions)[0] };
    };

    it("scans images on push and expires old ones", () => {
      expect(synthesized).toHaveResourceWithProperties(EcrRepository, {
        image_scanning_configuration: { scan_on_push: true },
      });
      expect(resources(terraform, "aws_ecr_lifecycle_policy")).toHaveLength(FLOW_IMAGE_NAMES.length);
    });

    it("runs a cluster with Container Insights", () => {
      expect(synthesized).toHaveResourceWithProperties(EcsCluster, {
        setting: [{ name: "containerInsights", value: "enabled" }],
      });
    });

    it("gives each flow a Fargate task definition of its size", () => {
      expect(definitionOf("orders-daily").definition).toMatchObject({
        requires_compatibilities: ["FARGATE"],
        network_mode: "awsvpc",
        cpu: "512",
        memory: "1024",
      });
    });

    it("runs the flow container as a non-root user on a read-only root filesystem", () => {
      expect(definitionOf("orders-daily").container).toMatchObject({
        readonlyRootFilesystem: true,
        user: "1000:1000",
        essential: true,
      });
    });

    it("gives longer flows a longer stop timeout (5 % of the timeout), within Fargate's 120 s", () => {
      expect(definitionOf("dbt-nightly").container.stopTimeout).toBe(60);
      expect(definitionOf("orders-daily").container.stopTimeout).toBe(120);
    });

    it("tells the runtime its stop timeout, so the flow finishes cleaning up before SIGKILL", () => {
      expect(definitionOf("dbt-nightly").container.environment).toContainEqual({
        name: "DATA_FLOWS_STOP_TIMEOUT_SECONDS",
        value: "60",
      });
    });

    it("injects exactly the declared secrets, by ARN of /DataFlows/<Env>/<NAME>", () => {
      expect(definitionOf("dbt-nightly").container.secrets).toEqual([
        {
          name: "DBT_CLOUD_TOKEN",
          valueFrom: `arn:aws:ssm:${config.region}:${config.accountId}:parameter/DataFlows/${config.ssmEnvironment}/DBT_CLOUD_TOKEN`,
        },
        {
          name: "DBT_CLOUD_ACCOUNT_ID",
          valueFrom: `arn:aws:ssm:${config.region}:${config.accountId}:parameter/DataFlows/${config.ssmEnvironment}/DBT_CLOUD_ACCOUNT_ID`,
        },
      ]);
    });

    const executionStatements = (flow: string) =>
      policiesOfRole(terraform, taskDefinitionOf(terraform, flow).execution_role_arn).flatMap(
        (policy) => policy.document.Statement,
      );

    it("lets each flow's execution role read only that flow's parameters", () => {
      const ssm = executionStatements("dbt-nightly").filter((statement) =>
        statement.Action.some((action) => action.startsWith("ssm:")),
      );
      expect(ssm).toEqual([
        expect.objectContaining({
          Action: ["ssm:GetParameters"],
          Resource: [
            expect.stringMatching(/parameter\/DataFlows\/\w+\/DBT_CLOUD_TOKEN$/),
            expect.stringMatching(/parameter\/DataFlows\/\w+\/DBT_CLOUD_ACCOUNT_ID$/),
          ],
        }),
      ]);
    });

    it("decrypts a flow's parameters only through SSM, on keys, never an alias", () => {
      const decrypt = executionStatements("dbt-nightly").find((statement) => statement.Action.includes("kms:Decrypt"));
      expect(decrypt).toEqual({
        Effect: "Allow",
        Action: ["kms:Decrypt"],
        Resource: [`arn:aws:kms:${config.region}:${config.accountId}:key/*`],
        Condition: { StringEquals: { "kms:ViaService": `ssm.${config.region}.amazonaws.com` } },
      });
    });

    it("grants no SSM access to a flow that declares no secrets", () => {
      expect(
        executionStatements("paused")
          .flatMap((statement) => statement.Action)
          .filter((action) => action.startsWith("ssm:") || action.startsWith("kms:")),
      ).toEqual([]);
    });

    it("shares one execution role between flows that declare the same secrets, and no more", () => {
      const roleOf = (flow: string) => taskDefinitionOf(terraform, flow).execution_role_arn;
      expect(roleOf("paused")).toBe(roleOf("after-orders"));
      expect(roleOf("orders-daily")).not.toBe(roleOf("dbt-nightly"));
      expect(resources(terraform, "aws_iam_role").filter((role) => /-flows-exec-/.test(role.name))).toHaveLength(3);
    });

    it("gives every flow the one task role, which may call nothing", () => {
      const taskRoles = new Set(resources(terraform, "aws_ecs_task_definition").map((d) => d.task_role_arn));
      expect(taskRoles.size).toBe(1);
      expect(policiesOfRole(terraform, [...taskRoles][0]!)).toEqual([]);
    });

    it("registers a new task definition revision before deregistering the old one", () => {
      for (const definition of resources(terraform, "aws_ecs_task_definition")) {
        expect(definition.lifecycle).toEqual({ create_before_destroy: true });
      }
    });

    it("logs each flow to its own group under /data-flows/<env>/flows", () => {
      expect(definitionOf("orders-daily").container.logConfiguration.options["awslogs-stream-prefix"]).toBe(
        "orders-daily",
      );
      const names = resources(terraform, "aws_cloudwatch_log_group").map((group) => group.name);
      expect(names).toEqual(expect.arrayContaining([`/data-flows/${environment}/flows/orders-daily`]));
    });
  });

  describe("private networking", () => {
    it("gives the task security group no inbound rules", () => {
      expect(synthesized).toHaveResourceWithProperties(SecurityGroup, { name: `data-flows-${environment}-flow-tasks` });
      const [group] = resources(terraform, "aws_security_group");
      expect(group!.ingress).toBeUndefined();
      expect(resources(terraform, "aws_vpc_security_group_ingress_rule")).toEqual([]);
    });

    it("lets tasks out on HTTPS, and on HTTP for certificate revocation checks, nothing else", () => {
      expect(
        resources(terraform, "aws_vpc_security_group_egress_rule")
          .map((rule) => `${rule.ip_protocol}/${rule.from_port}-${rule.to_port} ${rule.cidr_ipv4}`)
          .sort(),
      ).toEqual(["tcp/443-443 0.0.0.0/0", "tcp/80-80 0.0.0.0/0"]);
    });

    it.each([
      ["S3 (where ECR keeps image layers)", "s3"],
      ["DynamoDB (watermark proposals)", "dynamodb"],
    ])("reaches %s through a gateway endpoint on the private route table", (_, service) => {
      const endpoint = resources(terraform, "aws_vpc_endpoint").find(
        (candidate) => candidate.service_name === `com.amazonaws.${config.region}.${service}`,
      );
      expect(endpoint).toMatchObject({
        vpc_endpoint_type: "Gateway",
        route_table_ids: [expect.stringMatching(/aws_route_table\.network_private-routes/)],
      });
    });

    it("never gives subnets public IPs on launch", () => {
      expect(resources(terraform, "aws_subnet").every((subnet) => subnet.map_public_ip_on_launch === false)).toBe(true);
    });

    it("routes the private subnets out through one NAT gateway with an Elastic IP, exported as the egress IP", () => {
      expect(resources(terraform, "aws_nat_gateway")).toHaveLength(1);
      expect(resources(terraform, "aws_eip")).toHaveLength(1);
      expect(terraform.output.egress_ip.value).toMatch(/^\$\{aws_eip\.\S+\.public_ip\}$/);
    });

    it("launches tasks in the private subnets with the task security group", () => {
      const launcher = resources(terraform, "aws_lambda_function").find((fn) => fn.function_name.endsWith("-launcher"));
      expect(launcher!.environment.variables.SUBNET_IDS).toMatch(/private-subnet-0.*private-subnet-1/);
      expect(launcher!.environment.variables.SECURITY_GROUP_IDS).toMatch(/aws_security_group\.\S+\.id/);
    });
  });

  describe("control-plane functions", () => {
    it("runs four functions on nodejs22.x arm64 with reserved concurrency and a dead-letter queue", () => {
      const functions = resources(terraform, "aws_lambda_function");
      expect(functions.map((fn) => fn.function_name).sort()).toEqual(
        ["alerter", "launcher", "reaper", "recorder"].map((name) => `data-flows-${environment}-${name}`),
      );
      for (const fn of functions) {
        expect(fn).toMatchObject({
          runtime: "nodejs22.x",
          architectures: ["arm64"],
          tracing_config: { mode: "PassThrough" },
        });
        expect(fn.reserved_concurrent_executions).toBeGreaterThan(0);
        expect(fn.dead_letter_config.target_arn).toMatch(/aws_sqs_queue/);
      }
    });

    it("packages each function from its esbuild bundle", () => {
      expect(synthesized).toHaveResourceWithProperties(LambdaFunction, {
        handler: "index.handler",
        filename: expect.stringMatching(/^assets\/launcher_code_\w+\/\w+\/archive\.zip$/),
      });
    });

    it("creates each function only after its role may write its logs and dead letters", () => {
      for (const [address, fn] of Object.entries(terraform.resource.aws_lambda_function!)) {
        const name = address.split("_")[0];
        expect(fn.depends_on).toEqual(
          expect.arrayContaining([
            expect.stringMatching(new RegExp(`^aws_cloudwatch_log_group\\.${name}_logs_`)),
            expect.stringMatching(new RegExp(`^aws_iam_role_policy\\.${name}_policy_`)),
          ]),
        );
      }
    });

    it("retries asynchronous invocations twice before dead-lettering", () => {
      const configs = resources(terraform, "aws_lambda_function_event_invoke_config");
      expect(configs).toHaveLength(4);
      expect(configs.every((c) => c.maximum_retry_attempts === 2)).toBe(true);
    });

    it("lets the launcher run only this environment's flow families, in this cluster", () => {
      const launcher = policyDocuments(terraform).find((policy) => policy.name.startsWith("launcher_policy"));
      const runTask = launcher!.document.Statement.find((statement) => statement.Action.includes("ecs:RunTask"));
      // By this environment's family prefix, which every flow family has, and no other family of the account.
      const prefix = `arn:aws:ecs:${config.region}:${config.accountId}:task-definition/data-flows-${environment}-`;
      expect(runTask!.Resource).toEqual([`${prefix}*:*`]);
      for (const definition of resources(terraform, "aws_ecs_task_definition")) {
        expect(`arn:aws:ecs:${config.region}:${config.accountId}:task-definition/${definition.family}`).toMatch(
          new RegExp(`^${prefix}`),
        );
      }
      expect(runTask!.Condition).toEqual({ ArnEquals: { "ecs:cluster": expect.stringMatching(/aws_ecs_cluster/) } });
    });

    it("lets the launcher tag only the tasks it starts", () => {
      const launcher = policyDocuments(terraform).find((policy) => policy.name.startsWith("launcher_policy"));
      const tag = launcher!.document.Statement.find((statement) => statement.Action.includes("ecs:TagResource"));
      expect(tag!.Condition).toEqual({ StringEquals: { "ecs:CreateAction": "RunTask" } });
    });

    it("lets the alerter read the Slack webhook parameter and nothing else from SSM", () => {
      const alerter = policyDocuments(terraform).find((policy) => policy.name.startsWith("alerter_policy"));
      const ssm = alerter!.document.Statement.find((statement) => statement.Action.includes("ssm:GetParameter"));
      expect(ssm!.Resource).toEqual([
        `arn:aws:ssm:${config.region}:${config.accountId}:parameter/DataFlows/${config.ssmEnvironment}/SLACK_WEBHOOK_URL`,
      ]);
    });

    it("gives every function its own log group with retention", () => {
      const groups = resources(terraform, "aws_cloudwatch_log_group").map((group) => group.name);
      for (const name of ["launcher", "recorder", "alerter", "reaper"]) {
        expect(groups).toContain(`/aws/lambda/data-flows-${environment}-${name}`);
      }
    });
  });

  describe("events and schedules", () => {
    it("schedules each enabled flow once, in its timezone, with no flexible window", () => {
      const schedules = resources(terraform, "aws_scheduler_schedule");
      expect(schedules.map((schedule) => schedule.name).sort()).toEqual(["dbt-nightly", "orders-daily"]);
      expect(schedules.find((schedule) => schedule.name === "orders-daily")).toMatchObject({
        schedule_expression: "cron(0 6 ? * 2-6 *)",
        schedule_expression_timezone: "Europe/London",
        flexible_time_window: { mode: "OFF" },
      });
    });

    it("sends the launcher the scheduled time, retries and dead-letters undeliverable fires", () => {
      const [schedule] = resources(terraform, "aws_scheduler_schedule");
      expect(JSON.parse(schedule!.target.input)).toEqual({
        kind: "schedule",
        flow: schedule!.name,
        scheduledTime: "<aws.scheduler.scheduled-time>",
      });
      expect(schedule!.target.retry_policy.maximum_retry_attempts).toBeGreaterThan(0);
      expect(schedule!.target.dead_letter_config.arn).toMatch(/scheduler-dead-letters/);
    });

    it("lets the scheduler role invoke only the launcher", () => {
      const scheduler = policyDocuments(terraform).find((policy) =>
        policy.name.startsWith("scheduling_scheduler-policy"),
      );
      const invoke = scheduler!.document.Statement.find((statement) =>
        statement.Action.includes("lambda:InvokeFunction"),
      );
      expect(invoke!.Resource).toEqual([expect.stringMatching(/launcher_function/)]);
    });

    it("routes this cluster's running and stopped ECS tasks to the recorder, one rule each", () => {
      const pattern = (name: string) =>
        JSON.parse(resources(terraform, "aws_cloudwatch_event_rule").find((r) => r.name.endsWith(name))!.event_pattern);
      const cluster = [expect.stringMatching(/aws_ecs_cluster/)];
      const ecs = { source: ["aws.ecs"], "detail-type": ["ECS Task State Change"] };
      expect(pattern("task-running")).toEqual({
        ...ecs,
        detail: { clusterArn: cluster, lastStatus: ["RUNNING"], desiredStatus: ["RUNNING"] },
      });
      expect(pattern("task-stopped")).toEqual({ ...ecs, detail: { clusterArn: cluster, lastStatus: ["STOPPED"] } });
    });

    /** The ECS events of one task's life the stack's rules deliver to the recorder, fixtures as ECS sent them. */
    it.each([
      ["task-provisioning", false],
      ["task-running", true],
      ["task-stopped-exit-0", true],
      ["task-stopped-exit-1", true],
      ["task-stopped-secrets-pull-failed", true],
    ] as const)("delivers %s to the recorder: %s", (fixture, delivered) => {
      expect(deliveredToRecorder(ecsEvent(fixture))).toBe(delivered);
    });

    it("does not deliver the RUNNING event ECS sends once the essential container exited (desiredStatus STOPPED)", () => {
      const exited = ecsEvent("task-running");
      exited.detail.desiredStatus = "STOPPED";
      expect(deliveredToRecorder(exited)).toBe(false);
    });

    function deliveredToRecorder(event: Record<string, any>): boolean {
      return resources(terraform, "aws_cloudwatch_event_target")
        .filter((target) => /recorder_function/.test(target.arn))
        .map((target) => JSON.parse(referencedResource(terraform, target.rule)!.event_pattern))
        .some((pattern) =>
          // The rule names the cluster by reference; the fixture's task ran in this cluster.
          matchesPattern(pattern, { ...event, detail: { ...event.detail, clusterArn: pattern.detail.clusterArn[0] } }),
        );
    }

    it("dead-letters every event a rule could not deliver, into a queue only those rules may write", () => {
      const targets = resources(terraform, "aws_cloudwatch_event_target");
      const queues = new Set(targets.map((target) => target.dead_letter_config?.arn));
      expect(queues.size).toBe(1);
      expect([...queues][0]).toMatch(/aws_sqs_queue\.routing_delivery-dead-letters/);
      const [policy] = resources(terraform, "aws_sqs_queue_policy");
      const statement = JSON.parse(policy!.policy).Statement[0];
      expect(statement).toMatchObject({ Principal: { Service: "events.amazonaws.com" }, Action: "sqs:SendMessage" });
      expect(statement.Condition.ArnEquals["aws:SourceArn"]).toHaveLength(targets.length);
    });

    it("routes failed, timed-out, lost and retried runs on the data-flows bus to the alerter", () => {
      const rule = resources(terraform, "aws_cloudwatch_event_rule").find((r) => r.name.endsWith("run-alerts"));
      expect(rule!.event_bus_name).toMatch(/aws_cloudwatch_event_bus/);
      expect(JSON.parse(rule!.event_pattern).detail.to).toEqual(
        expect.arrayContaining(["FAILED", "TIMED_OUT", "LOST", "RETRYING"]),
      );
    });

    it.each([
      ["a failure", { to: "FAILED" }, true],
      ["a skipped fire", { to: "SKIPPED" }, true],
      ["a success after a failed run", { to: "SUCCEEDED", recoversFrom: "orders-daily/20260302T1000Z" }, true],
      ["any other success", { to: "SUCCEEDED" }, false],
      ["a run that started", { to: "RUNNING" }, false],
    ])("delivers %s to the alerter: %s", (_, detail, delivered) => {
      const event = { source: "data-flows", "detail-type": "Flow Run State Change", detail };
      const patterns = resources(terraform, "aws_cloudwatch_event_target")
        .filter((target) => /alerter_function/.test(target.arn))
        .map((target) => referencedResource(terraform, target.rule)!)
        .filter((rule) => rule.event_pattern)
        .map((rule) => JSON.parse(rule.event_pattern));
      expect(patterns.some((pattern) => matchesPattern(pattern, event))).toBe(delivered);
    });

    it("routes successes of upstream flows on the data-flows bus to the launcher", () => {
      const rule = resources(terraform, "aws_cloudwatch_event_rule").find((r) => r.name.endsWith("upstream-successes"));
      expect(JSON.parse(rule!.event_pattern).detail).toEqual({ to: ["SUCCEEDED"], flow: ["orders-daily"] });
      const target = resources(terraform, "aws_cloudwatch_event_target").find((t) =>
        t.rule.includes("upstream-successes"),
      );
      expect(target!.arn).toMatch(/launcher_function/);
    });

    it.each([
      ["routes a backfill run that ended to the launcher", { trigger: "backfill", to: "FAILED" }, true],
      ["routes a cancelled backfill run to the launcher", { trigger: "backfill", to: "CANCELLED" }, true],
      ["does not route a backfill run that is only running", { trigger: "backfill", to: "RUNNING" }, false],
      ["does not route a scheduled run that ended", { trigger: "schedule", to: "SUCCEEDED" }, false],
    ])("%s (backfill-endings rule)", (_, detail, routed) => {
      const rule = resources(terraform, "aws_cloudwatch_event_rule").find((r) => r.name.endsWith("backfill-endings"));
      const event = { source: "data-flows", "detail-type": "Flow Run State Change", detail };
      expect(matchesPattern(JSON.parse(rule!.event_pattern), event)).toBe(routed);
      const target = resources(terraform, "aws_cloudwatch_event_target").find((t) =>
        t.rule.includes("backfill-endings"),
      );
      expect(target!.arn).toMatch(/launcher_function/);
    });

    it("counts the task events the recorder ignores, by reason", () => {
      const [filter] = resources(terraform, "aws_cloudwatch_log_metric_filter");
      expect(filter).toMatchObject({
        pattern: "{ $.ignored = * }",
        metric_transformation: { name: "IgnoredTaskEvents", dimensions: { reason: "$.ignored" } },
      });
      expect(filter!.log_group_name).toMatch(/recorder_logs/);
    });

    it("runs the reaper every five minutes", () => {
      const rule = resources(terraform, "aws_cloudwatch_event_rule").find((r) => r.name.endsWith("reaper-schedule"));
      expect(rule!.schedule_expression).toBe("rate(5 minutes)");
    });

    it("scopes every Lambda permission to its source", () => {
      const permissions = resources(terraform, "aws_lambda_permission");
      expect(permissions.length).toBeGreaterThanOrEqual(4);
      expect(permissions.every((permission) => typeof permission.source_arn === "string")).toBe(true);
    });

    it("sends dead letters (of every queue), errors and throttles of every function to the alarm topic", () => {
      const alarms = resources(terraform, "aws_cloudwatch_metric_alarm");
      expect(alarms).toHaveLength(4 * 3 + 2);
      const queueAlarms = alarms.filter((alarm) => alarm.dimensions.QueueName !== undefined);
      expect(queueAlarms).toHaveLength(resources(terraform, "aws_sqs_queue").length);
      expect(alarms.every((alarm) => alarm.alarm_actions[0].includes("aws_sns_topic"))).toBe(true);
      expect(resources(terraform, "aws_sns_topic_subscription")).toEqual([
        expect.objectContaining({ protocol: "lambda" }),
      ]);
    });
  });

  describe("alarm delivery", () => {
    it("encrypts the alarm topic with a key CloudWatch of this account may use (the AWS-managed SNS key it may not)", () => {
      const [topic] = resources(terraform, "aws_sns_topic");
      const key = referencedResource(terraform, topic!.kms_master_key_id);
      expect(key?.enable_key_rotation).toBe(true);
      expect(JSON.parse(key!.policy).Statement).toContainEqual({
        Sid: "CloudWatchPublishesAlarmsOfThisAccount",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": config.accountId } },
      });
    });
  });

  describe("outputs", () => {
    it("exports what operators and the pipeline need", () => {
      expect(Object.keys(terraform.output).sort()).toEqual([
        "cluster_name",
        "ecr_python_repository_url",
        "ecr_repository_url",
        "egress_ip",
        "event_bus_name",
        "launcher_function_name",
        "launcher_url",
        "operator_policy_arn",
        "runs_table_name",
        "viewer_policy_arn",
      ]);
    });
  });
});

describe("the stack built from the shipped registry", () => {
  it("synthesizes for every environment", async () => {
    for (const config of Object.values(environments)) {
      const { terraform } = await synthesizeStack(config, registry);
      expect(resources(terraform, "aws_ecs_task_definition")).toHaveLength(registry.flows.length);
    }
  });
});

describe("X-Ray tracing, an environment's setting", () => {
  const xrayActions = (terraform: TerraformJson) =>
    policyDocuments(terraform)
      .flatMap((policy) => policy.document.Statement)
      .flatMap((statement) => [statement.Action].flat())
      .filter((action) => action.startsWith("xray:"));

  it("is off by default: Lambda passes trace headers through, and no role may write traces", async () => {
    const { terraform } = await synthesizeStack(environments.prod, testRegistry);
    for (const fn of resources(terraform, "aws_lambda_function"))
      expect(fn.tracing_config).toEqual({ mode: "PassThrough" });
    expect(xrayActions(terraform)).toEqual([]);
  });

  it("when active, traces every function and lets each write its segments", async () => {
    const { terraform } = await synthesizeStack({ ...environments.dev, tracing: "active" }, testRegistry);
    const functions = resources(terraform, "aws_lambda_function");
    for (const fn of functions) expect(fn.tracing_config).toEqual({ mode: "Active" });
    expect(xrayActions(terraform)).toHaveLength(2 * functions.length);
  });
});
