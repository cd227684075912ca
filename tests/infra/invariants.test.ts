import type { CreatedNetwork } from "../../.aws/config";
import { environments } from "../../.aws/config";
import { ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS } from "../../.aws/iam";
import type { FlowInput } from "../../flows/registry/flow-definition";
import { FLOW_SECRET_NAMES } from "../../contracts/flow-secrets";
import { defineRegistry } from "../../flows/registry/flow-registry";
import type { TerraformJson } from "../support/synth";
import { policiesOfRole, policyDocuments, resources, synthesizeStack, taskDefinitionOf } from "../support/synth";

/** 50 flows of every shape the registry allows: sizes, secrets, schedules (a third disabled, a fifth unscheduled). */
function generatedFlows(count: number): FlowInput[] {
  const sizes: [number, number][] = [
    [256, 512],
    [512, 2048],
    [1024, 4096],
    [2048, 8192],
    [4096, 16384],
  ];
  return Array.from({ length: count }, (_, index) => ({
    name: `flow-${String(index).padStart(3, "0")}`,
    description: `generated flow ${index}`,
    owner: "@data-eng",
    cpu: sizes[index % sizes.length]![0],
    memoryMiB: sizes[index % sizes.length]![1],
    timeoutMinutes: 5 + index,
    secrets: FLOW_SECRET_NAMES.filter((_, secret) => (index >> secret) & 1),
    ...(index % 5 === 4
      ? {}
      : {
          schedule: { cron: `${index % 60} ${index % 24} * * *`, timezone: "Europe/London", enabled: index % 3 !== 0 },
        }),
  }));
}

const GENERATED = generatedFlows(50);
const registry = defineRegistry(GENERATED);

describe.each(["dev", "prod"] as const)("invariants of the %s stack (50 generated flows)", (environment) => {
  const config = environments[environment];
  let terraform: TerraformJson;

  beforeAll(async () => {
    ({ terraform } = await synthesizeStack(config, registry));
  });

  describe("IAM: every policy document", () => {
    const statements = () =>
      policyDocuments(terraform).flatMap((policy) =>
        policy.document.Statement.map((statement) => ({ policy: policy.name, ...statement })),
      );

    it("allows no wildcard action", () => {
      const wildcards = statements().filter((s) => s.Action.some((action) => action === "*" || action.endsWith(":*")));
      expect(wildcards).toEqual([]);
    });

    it("uses a * resource only for actions that have no resource-level permissions", () => {
      const offenders = statements()
        .filter((s) => s.Resource.includes("*"))
        .filter((s) =>
          s.Action.some(
            (action) => !(ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS as readonly string[]).includes(action),
          ),
        );
      expect(offenders).toEqual([]);
    });

    it("allows only, never denies by exception", () => {
      expect(statements().every((s) => s.Effect === "Allow")).toBe(true);
    });

    it("conditions every iam:PassRole on the one service the roles are for", () => {
      const passRole = statements().filter((s) => s.Action.includes("iam:PassRole"));
      expect(passRole.length).toBeGreaterThan(0);
      for (const statement of passRole) {
        const service = statement.Resource.every((arn) => /scheduler-role/.test(arn))
          ? "scheduler.amazonaws.com"
          : "ecs-tasks.amazonaws.com";
        expect(statement.Condition).toEqual({ StringEquals: { "iam:PassedToService": service } });
      }
    });

    it("conditions every ecs:RunTask, StopTask and DescribeTasks on this cluster", () => {
      const ecs = statements().filter((s) =>
        s.Action.some((a) => ["ecs:RunTask", "ecs:StopTask", "ecs:DescribeTasks"].includes(a)),
      );
      expect(ecs.length).toBeGreaterThan(0);
      for (const statement of ecs)
        expect(statement.Condition).toEqual({ ArnEquals: { "ecs:cluster": expect.stringMatching(/aws_ecs_cluster/) } });
    });

    it("lets every role be assumed by exactly one AWS service", () => {
      for (const role of resources(terraform, "aws_iam_role")) {
        const trust = JSON.parse(role.assume_role_policy);
        expect(trust.Statement).toHaveLength(1);
        expect(Object.keys(trust.Statement[0].Principal)).toEqual(["Service"]);
      }
    });
  });

  describe("secrets handling", () => {
    it("passes every task-definition secret by valueFrom an SSM parameter of this environment", () => {
      for (const definition of resources(terraform, "aws_ecs_task_definition")) {
        for (const secret of JSON.parse(definition.container_definitions)[0].secrets) {
          expect(secret.valueFrom).toBe(
            `arn:aws:ssm:${config.region}:${config.accountId}:parameter/DataFlows/${config.ssmEnvironment}/${secret.name}`,
          );
        }
      }
    });

    it("puts nothing that looks like a credential in plain environment values", () => {
      const looksSecret = /(KEY|TOKEN|SECRET|PASSWORD|WEBHOOK_URL)$/;
      const environmentsOf = [
        ...resources(terraform, "aws_ecs_task_definition").flatMap(
          (d) => JSON.parse(d.container_definitions)[0].environment,
        ),
        ...resources(terraform, "aws_lambda_function").flatMap((fn) =>
          Object.entries(fn.environment.variables).map(([name, value]) => ({ name, value })),
        ),
      ];
      expect(environmentsOf.filter((entry: { name: string }) => looksSecret.test(entry.name))).toEqual([]);
      expect(
        environmentsOf.filter((entry: { value: string }) => /hooks\.slack\.com|-----BEGIN/.test(String(entry.value))),
      ).toEqual([]);
    });
  });

  describe("retention and encryption", () => {
    it("gives every log group a retention", () => {
      for (const group of resources(terraform, "aws_cloudwatch_log_group"))
        expect(group.retention_in_days).toBe(config.logRetentionDays);
    });

    it("encrypts every SQS queue and the runs table, and keeps point-in-time recovery on", () => {
      expect(resources(terraform, "aws_sqs_queue").every((queue) => queue.sqs_managed_sse_enabled === true)).toBe(true);
      expect(resources(terraform, "aws_dynamodb_table")[0]).toMatchObject({
        server_side_encryption: { enabled: true },
        point_in_time_recovery: { enabled: true },
      });
    });

    it("gives every asynchronously invoked function a dead-letter queue", () => {
      expect(
        resources(terraform, "aws_lambda_function").every((fn) =>
          /aws_sqs_queue/.test(fn.dead_letter_config?.target_arn),
        ),
      ).toBe(true);
    });
  });

  describe("the registry drives the stack", () => {
    it("gives every flow exactly one task definition", () => {
      const families = resources(terraform, "aws_ecs_task_definition")
        .map((d) => d.family)
        .sort();
      expect(families).toEqual(GENERATED.map((flow) => `data-flows-${environment}-${flow.name}`).sort());
    });

    it("schedules every enabled flow once and no disabled or unscheduled flow", () => {
      const enabled = GENERATED.filter((flow) => flow.schedule?.enabled)
        .map((flow) => flow.name)
        .sort();
      expect(
        resources(terraform, "aws_scheduler_schedule")
          .map((schedule) => schedule.name)
          .sort(),
      ).toEqual(enabled);
      expect(enabled.length).toBeLessThan(GENERATED.length);
    });

    it("lets the launcher pass exactly the roles every flow's task definition names", () => {
      const launcher = policyDocuments(terraform).find((policy) => policy.name.startsWith("launcher_policy"))!.document;
      const passRole = launcher.Statement.find(
        (s) =>
          s.Action.includes("iam:PassRole") &&
          s.Condition?.StringEquals?.["iam:PassedToService"] === "ecs-tasks.amazonaws.com",
      )!;
      const named = new Set(
        resources(terraform, "aws_ecs_task_definition").flatMap((d) => [d.execution_role_arn, d.task_role_arn]),
      );
      expect([...passRole.Resource].sort()).toEqual([...named].sort());
    });

    it("gives every flow an execution role reading exactly its own secrets", () => {
      for (const flow of GENERATED) {
        const role = taskDefinitionOf(terraform, flow.name).execution_role_arn;
        const readable = policiesOfRole(terraform, role)
          .flatMap((policy) => policy.document.Statement)
          .filter((s) => s.Action.includes("ssm:GetParameters"))
          .flatMap((s) => s.Resource);
        expect(readable.map((arn) => arn.slice(arn.lastIndexOf("/") + 1)).sort()).toEqual(
          [...(flow.secrets ?? [])].sort(),
        );
      }
    });
  });
});

describe("a stack with ECR and Logs interface endpoints", () => {
  it("puts each endpoint in the private subnets, reachable on 443 from the task security group only", async () => {
    const config = {
      ...environments.dev,
      network: { ...(environments.dev.network as CreatedNetwork), interfaceEndpoints: true },
    };
    const { terraform } = await synthesizeStack(config, defineRegistry(GENERATED.slice(0, 2)));
    const interfaces = resources(terraform, "aws_vpc_endpoint").filter((e) => e.vpc_endpoint_type === "Interface");
    expect(interfaces.map((endpoint) => endpoint.service_name).sort()).toEqual(
      ["ecr.api", "ecr.dkr", "logs"].map((service) => `com.amazonaws.${config.region}.${service}`),
    );
    expect(interfaces.every((endpoint) => endpoint.private_dns_enabled === true)).toBe(true);
    expect(resources(terraform, "aws_vpc_security_group_ingress_rule")).toEqual([
      expect.objectContaining({
        from_port: 443,
        to_port: 443,
        referenced_security_group_id: expect.stringMatching(/task-security-group/),
      }),
    ]);
  });
});

describe("a stack on an existing network", () => {
  it("creates no VPC and launches tasks in the configured private subnets", async () => {
    const config = {
      ...environments.dev,
      network: {
        mode: "existing" as const,
        vpcId: "vpc-0abc",
        privateSubnetIds: ["subnet-1", "subnet-2"],
        egressIp: "203.0.113.10",
        interfaceEndpoints: false,
      },
    };
    const { terraform } = await synthesizeStack(config, defineRegistry(GENERATED.slice(0, 2)));
    expect(resources(terraform, "aws_vpc")).toEqual([]);
    expect(resources(terraform, "aws_nat_gateway")).toEqual([]);
    const launcher = resources(terraform, "aws_lambda_function").find((fn) => fn.function_name.endsWith("-launcher"));
    expect(launcher!.environment.variables.SUBNET_IDS).toBe('${join(",", ["subnet-1", "subnet-2"])}');
    expect(terraform.output.egress_ip.value).toBe("203.0.113.10");
    expect(resources(terraform, "aws_security_group")[0]!.vpc_id).toBe("vpc-0abc");
  });
});
