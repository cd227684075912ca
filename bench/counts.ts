/**
 * Section 4, run in its own process (`tsx bench/counts.ts <cdk.tf.json> <out.json>`): the AWS calls and DynamoDB
 * capacity of one run, counted from the requests the deployed code makes.
 *
 * The four functions are the Lambda entries themselves (`awsLambdaHandler`, as `lambdas/<name>.ts` export them), with
 * the environment the synthesized stack gives each one. DynamoDB is dynalite behind a metering proxy
 * (`AWS_ENDPOINT_URL_DYNAMODB`); ECS, EventBridge, Scheduler, Lambda, SSM and CloudWatch Logs are the SDK clients with
 * their `send` answered in process (aws-sdk-client-mock), counted per function; Slack is a local webhook. ECS events
 * reach the recorder only if the stack's task-state rule matches them, and run changes reach the alerter or the
 * launcher only if a bus rule of the stack matches them, as EventBridge would route them.
 */
import { CloudWatchLogsClient, GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { DescribeTasksCommand, ECSClient, RunTaskCommand, StopTaskCommand } from "@aws-sdk/client-ecs";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CreateScheduleCommand, SchedulerClient } from "@aws-sdk/client-scheduler";
import { GetParameterCommand, GetParametersCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { CONTROL_PLANE_FUNCTIONS } from "../contracts/control-plane";
import { runReferenceOf, TaskEnv } from "../contracts/task-environment";
import { loadRegistry } from "../flows/index";
import { awsLambdaHandler } from "../lambdas/aws/lambda-entry";
import { startDynaliteServer } from "../local/dynalite-server";
import { ensureRunsTable } from "../local/ensure-runs-table";
import type { DynamoTally } from "./dynamo-meter";
import { DynamoMeter } from "./dynamo-meter";
import type { StartedTask } from "./ecs-lifecycle";
import { BENCH_CLUSTER, BENCH_CLUSTER_ARN, taskArnOfStarted, taskLifecycleEvents } from "./ecs-lifecycle";
import { matchesPattern } from "../contracts/event-pattern";
import type { StackFacts } from "./stack-facts";
import { readStackFacts, resolveDeep, resolveTerraform } from "./stack-facts";
import { capturingOutput } from "./stats";

const ACCOUNT = BENCH_CLUSTER.account;

export interface FunctionCounts {
  invocations: number;
  errors: string[];
  dynamo: DynamoTally;
  /** SDK commands sent, by `Service.Command`, plus `EventBridge.entries` and `Slack.POST`. */
  calls: Record<string, number>;
  /** Bytes the function logged (Powertools JSON lines), for CloudWatch Logs ingestion. */
  logBytes: number;
}

export interface ScenarioCounts {
  description: string;
  functions: Record<string, FunctionCounts>;
  /** EventBridge Scheduler invocations of the launcher: the flow's schedule and one-time retry schedules firing. */
  schedulerInvocations: number;
  ecsEventsEmitted: number;
  ecsEventsDelivered: number;
  busEventsPublished: number;
  busEventsDelivered: number;
  finalStates: string[];
}

export interface CountsResult {
  scenarios: Record<string, ScenarioCounts>;
  reaperPass: ScenarioCounts & { flows: number; skipFlows: number };
  taskRules: { name: string; pattern: unknown; targets: string[] }[];
  busRules: { name: string; pattern: unknown; targets: string[] }[];
  notes: string[];
}

async function main(stackJson: string, outFile: string): Promise<void> {
  const facts = readStackFacts(stackJson, CONTROL_PLANE_FUNCTIONS);
  const dynalite = await startDynaliteServer({ port: 0, tableName: "bench-counts-unused" });
  const meter = new DynamoMeter(dynalite.endpoint);
  const proxy = await meter.start();
  Object.assign(process.env, {
    AWS_REGION: facts.region,
    AWS_ACCESS_KEY_ID: "bench",
    AWS_SECRET_ACCESS_KEY: "bench",
    AWS_ENDPOINT_URL_DYNAMODB: proxy,
  });
  const slack = await startSlack();
  const world = new World(facts, meter, dynalite.endpoint, slack.url, () => slack.posts.splice(0));
  try {
    const result = await world.runAll();
    writeFileSync(outFile, JSON.stringify(result, null, 2));
  } finally {
    await slack.close();
    await meter.close();
    await dynalite.close();
  }
}

class World {
  private current = "unattributed";
  private counts: Record<string, FunctionCounts> = {};
  private readonly published: { entry: Record<string, unknown>; by: string }[] = [];
  private readonly retrySchedules: { input: string; expression: string }[] = [];
  private readonly tasks = new Map<string, StartedTask>();
  private tableName = "";
  private handlers: Record<string, (event: unknown, context: unknown) => Promise<unknown>> = {};
  private scenario!: ScenarioCounts;
  private readonly notes: string[] = [];
  private readonly tables: DynamoDBClient;

  constructor(
    private readonly facts: StackFacts,
    private readonly meter: DynamoMeter,
    dynaliteEndpoint: string,
    private readonly slackUrl: string,
    private readonly takeSlackPosts: () => number[],
  ) {
    this.tables = new DynamoDBClient({
      endpoint: dynaliteEndpoint,
      region: "local",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    this.installMocks();
  }

  private call(name: string, by = 1) {
    const counts = this.countsOf(this.current);
    counts.calls[name] = (counts.calls[name] ?? 0) + by;
  }

  /** A mock answer that counts the call against the function running now. */
  private answer(name: string, output: object) {
    return () => {
      this.call(name);
      return output;
    };
  }

  private countsOf(fn: string): FunctionCounts {
    return (this.counts[fn] ??= { invocations: 0, errors: [], dynamo: this.meter.tally(fn), calls: {}, logBytes: 0 });
  }

  private installMocks() {
    const ecs = mockClient(ECSClient);
    ecs.onAnyCommand().callsFake(() => {
      this.call("ECS.other");
      return {};
    });
    ecs.on(RunTaskCommand).callsFake((input: RunTaskCommand["input"]) => {
      this.call("ECS.RunTask");
      const token = input.clientToken ?? randomUUID();
      let task = this.tasks.get(token);
      if (!task) {
        const environment = input.overrides?.containerOverrides?.[0]?.environment ?? [];
        const reference = runReferenceOf(input.overrides?.containerOverrides);
        task = {
          taskId: randomUUID().replace(/-/g, ""),
          flow: String(input.startedBy ?? "").replace(/^df\//, ""),
          runId: reference?.runId ?? "?",
          attempt: reference?.attempt ?? 0,
          params: JSON.parse(environment.find((entry) => entry.name === TaskEnv.params)?.value ?? "{}") as Record<
            string,
            string
          >,
          dataInterval: {
            start: environment.find((entry) => entry.name === TaskEnv.intervalStart)?.value ?? "",
            end: environment.find((entry) => entry.name === TaskEnv.intervalEnd)?.value ?? "",
          },
          startedBy: input.startedBy ?? "",
        };
        this.tasks.set(token, task);
      }
      return {
        tasks: [{ taskArn: taskArnOfStarted(task), clusterArn: BENCH_CLUSTER_ARN, lastStatus: "PROVISIONING" }],
        failures: [],
      };
    });
    ecs.on(StopTaskCommand).callsFake(this.answer("ECS.StopTask", {}));
    ecs.on(DescribeTasksCommand).callsFake(this.answer("ECS.DescribeTasks", { tasks: [], failures: [] }));
    const events = mockClient(EventBridgeClient);
    events.onAnyCommand().callsFake(this.answer("EventBridge.other", {}));
    events.on(PutEventsCommand).callsFake((input: PutEventsCommand["input"]) => {
      this.call("EventBridge.PutEvents");
      this.call("EventBridge.entries", input.Entries?.length ?? 0);
      for (const entry of input.Entries ?? []) this.published.push({ entry: { ...entry }, by: this.current });
      return { FailedEntryCount: 0, Entries: (input.Entries ?? []).map(() => ({ EventId: randomUUID() })) };
    });
    const scheduler = mockClient(SchedulerClient);
    scheduler.onAnyCommand().callsFake(this.answer("Scheduler.other", {}));
    scheduler.on(CreateScheduleCommand).callsFake((input: CreateScheduleCommand["input"]) => {
      this.call("Scheduler.CreateSchedule");
      this.retrySchedules.push({ input: input.Target?.Input ?? "{}", expression: input.ScheduleExpression ?? "" });
      return { ScheduleArn: `arn:aws:scheduler:${this.facts.region}:${ACCOUNT}:schedule/retries/${input.Name}` };
    });
    const lambda = mockClient(LambdaClient);
    lambda.onAnyCommand().callsFake(this.answer("Lambda.other", {}));
    lambda.on(InvokeCommand).callsFake(this.answer("Lambda.Invoke", { StatusCode: 202 }));
    const ssm = mockClient(SSMClient);
    ssm.onAnyCommand().callsFake(this.answer("SSM.other", {}));
    ssm.on(GetParameterCommand).callsFake((input: GetParameterCommand["input"]) => {
      this.call("SSM.GetParameter");
      return { Parameter: { Name: input.Name, Type: "SecureString", Value: this.slackUrl, Version: 1 } };
    });
    ssm.on(GetParametersCommand).callsFake((input: GetParametersCommand["input"]) => {
      this.call("SSM.GetParameters");
      return { Parameters: (input.Names ?? []).map((Name) => ({ Name, Type: "SecureString", Value: this.slackUrl })) };
    });
    const logs = mockClient(CloudWatchLogsClient);
    logs.onAnyCommand().callsFake(this.answer("CloudWatchLogs.other", {}));
    logs.on(GetLogEventsCommand).callsFake(() => {
      this.call("CloudWatchLogs.GetLogEvents");
      return { events: [{ timestamp: Date.now(), message: '{"level":"ERROR","message":"flow failed"}' }] };
    });
  }

  /** Stand-ins for the stack's Terraform references, for this scenario's table. */
  private resolveRef = (type: string, id: string, attribute: string): string => {
    if (type === "aws_dynamodb_table") return this.tableName;
    if (type === "aws_ecs_cluster") return BENCH_CLUSTER_ARN;
    if (type === "aws_lambda_function") {
      const fn = this.facts.functions[this.facts.functionIds[id] ?? ""];
      const name = fn?.functionName ?? id;
      return attribute === "arn" ? `arn:aws:lambda:${this.facts.region}:${ACCOUNT}:function:${name}` : name;
    }
    if (type === "aws_cloudwatch_event_bus") return `bench-bus-${id}`;
    if (attribute === "arn")
      return `arn:aws:${type.replace(/^aws_/, "").split("_")[0]}:${this.facts.region}:${ACCOUNT}:${id}`;
    return `${type}-${id}`;
  };

  private async fresh(description: string) {
    this.tableName = `bench-counts-${Object.keys(this.counts).length}-${randomUUID().slice(0, 8)}`;
    await ensureRunsTable(this.tables, this.tableName);
    this.counts = {};
    this.meter.tallies.clear();
    this.published.length = 0;
    this.retrySchedules.length = 0;
    this.takeSlackPosts();
    this.handlers = {};
    for (const [name, fn] of Object.entries(this.facts.functions)) {
      const env = Object.fromEntries(
        Object.entries(fn.environment).map(([key, value]) => [key, resolveTerraform(value, this.resolveRef)]),
      );
      env.AWS_REGION = this.facts.region;
      this.handlers[name] = awsLambdaHandler(name as (typeof CONTROL_PLANE_FUNCTIONS)[number], env) as never;
    }
    this.scenario = {
      description,
      functions: {},
      schedulerInvocations: 0,
      ecsEventsEmitted: 0,
      ecsEventsDelivered: 0,
      busEventsPublished: 0,
      busEventsDelivered: 0,
      finalStates: [],
    };
  }

  private async invoke(fn: string, event: unknown) {
    const handler = this.handlers[fn];
    if (!handler) throw new Error(`the stack has no function ${fn}`);
    this.current = fn;
    this.meter.attribute = fn;
    const counts = this.countsOf(fn);
    counts.invocations += 1;
    const { value: error, bytes } = await capturingOutput(async () => {
      try {
        await handler(event, this.lambdaContext(fn));
        return undefined;
      } catch (caught) {
        return caught as Error;
      }
    });
    counts.logBytes += bytes;
    const posts = this.takeSlackPosts().length;
    if (posts) this.call("Slack.POST", posts);
    if (error) counts.errors.push(`${error.name}: ${error.message}`.slice(0, 300));
    this.current = "unattributed";
    this.meter.attribute = "unattributed";
    await this.routeBus();
  }

  /** The context object Lambda passes a Node.js handler. */
  private lambdaContext(fn: string) {
    const config = this.facts.functions[fn]!;
    const deadline = Date.now() + config.timeoutSeconds * 1000;
    return {
      callbackWaitsForEmptyEventLoop: true,
      functionName: config.functionName,
      functionVersion: "$LATEST",
      invokedFunctionArn: `arn:aws:lambda:${this.facts.region}:${ACCOUNT}:function:${config.functionName}`,
      memoryLimitInMB: String(config.memoryMiB),
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${config.functionName}`,
      logStreamName: "bench",
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
  }

  private get taskRules() {
    const rules = this.facts.rules.filter((candidate) =>
      JSON.stringify(candidate.pattern ?? "").includes("ECS Task State Change"),
    );
    if (!rules.length) throw new Error("the stack has no rule for ECS Task State Change events");
    return rules.map((rule) => ({ ...rule, pattern: resolveDeep(rule.pattern, this.resolveRef) }));
  }

  private get busRules() {
    return this.facts.rules
      .filter((rule) => rule.bus !== undefined && rule.pattern !== undefined)
      .map((rule) => ({
        ...rule,
        bus: resolveTerraform(rule.bus!, this.resolveRef),
        pattern: resolveDeep(rule.pattern, this.resolveRef),
      }));
  }

  /** Hands every published run change to the functions whose bus rules match it, as EventBridge would. */
  private async routeBus() {
    while (this.published.length) {
      const { entry } = this.published.shift()!;
      this.scenario.busEventsPublished += 1;
      const envelope = {
        version: "0",
        id: randomUUID(),
        "detail-type": entry.DetailType,
        source: entry.Source,
        account: ACCOUNT,
        time: `${new Date().toISOString().slice(0, 19)}Z`,
        region: this.facts.region,
        resources: entry.Resources ?? [],
        detail: JSON.parse(String(entry.Detail)) as unknown,
      };
      for (const rule of this.busRules) {
        if (rule.bus !== entry.EventBusName || !matchesPattern(rule.pattern, envelope)) continue;
        for (const target of rule.targets) {
          this.scenario.busEventsDelivered += 1;
          await this.invoke(target, envelope);
        }
      }
    }
  }

  /** ECS emits the task's six events; the recorder gets those the stack's rules let through. */
  private async runTask(task: StartedTask, exitCode: number) {
    const rules = this.taskRules;
    for (const event of taskLifecycleEvents(task, exitCode, new Date())) {
      this.scenario.ecsEventsEmitted += 1;
      for (const rule of rules.filter((candidate) => matchesPattern(candidate.pattern, event))) {
        this.scenario.ecsEventsDelivered += 1;
        for (const target of rule.targets) await this.invoke(target, event);
      }
    }
  }

  private taskOf(runAttempt: { attempt: number }): StartedTask {
    const task = [...this.tasks.values()].filter((candidate) => candidate.attempt === runAttempt.attempt).at(-1);
    if (!task) {
      const errors = Object.entries(this.counts).flatMap(([fn, counts]) =>
        counts.errors.map((error) => `${fn}: ${error}`),
      );
      throw new Error(
        `no task was started for attempt ${runAttempt.attempt}${errors.length ? `: ${errors.join("; ")}` : ""}`,
      );
    }
    return task;
  }

  private scheduledFire(flow: string, at: Date) {
    const schedule = this.facts.schedules.find((candidate) => candidate.name === flow);
    if (!schedule) throw new Error(`the stack has no schedule for ${flow}`);
    this.scenario.schedulerInvocations += 1;
    const input = schedule.input.replace("<aws.scheduler.scheduled-time>", at.toISOString().replace(/\.\d{3}Z$/, "Z"));
    return this.invoke(schedule.target, JSON.parse(input));
  }

  private async fireRetrySchedules() {
    while (this.retrySchedules.length) {
      const schedule = this.retrySchedules.shift()!;
      this.scenario.schedulerInvocations += 1;
      await this.invoke("launcher", JSON.parse(schedule.input));
    }
  }

  private async finish(name: string, result: Record<string, ScenarioCounts>) {
    this.scenario.functions = this.counts;
    const { Items = [] } = await this.tables.send(new ScanCommand({ TableName: this.tableName }));
    this.scenario.finalStates = Items.filter((item) => item.runId && item.state).map(
      (item) => `${item.runId!.S}: ${item.state!.S} (attempt ${item.attempt?.N})`,
    );
    result[name] = this.scenario;
    this.tasks.clear();
  }

  async runAll(): Promise<CountsResult> {
    const scenarios: Record<string, ScenarioCounts> = {};
    const slot = new Date(Math.floor(Date.now() / 60_000) * 60_000);

    await this.fresh("hello-world fired by its schedule, task exits 0: SUCCEEDED");
    await this.scheduledFire("hello-world", slot);
    await this.runTask(this.taskOf({ attempt: 1 }), 0);
    await this.finish("success", scenarios);

    await this.fresh("hello-world fired by its schedule, task exits 1, retries 0: FAILED");
    await this.scheduledFire("hello-world", slot);
    await this.runTask(this.taskOf({ attempt: 1 }), 1);
    await this.finish("failure", scenarios);

    await this.fresh(
      "flaky-demo started by hand (retries 1): attempt 1 exits 1, RETRYING, retry schedule fires, attempt 2 exits 0",
    );
    await this.invoke("launcher", { kind: "manual", flow: "flaky-demo", params: {} });
    await this.runTask(this.taskOf({ attempt: 1 }), 1);
    await this.fireRetrySchedules();
    await this.runTask(this.taskOf({ attempt: 2 }), 0);
    await this.finish("failure+retry", scenarios);

    const registry = loadRegistry();
    await this.fresh(`one reaper pass over the ${registry.flows.length} flows of the registry, no active run`);
    await this.invoke("reaper", {
      version: "0",
      id: randomUUID(),
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: ACCOUNT,
      time: new Date().toISOString(),
      region: this.facts.region,
      resources: [],
      detail: {},
    });
    await this.finish("reaper", scenarios);
    const reaperPass = {
      ...scenarios.reaper!,
      flows: registry.flows.length,
      skipFlows: registry.flows.filter((flow) => flow.overlap === "skip").length,
    };
    delete scenarios.reaper;

    for (const [name, scenario] of Object.entries(scenarios)) {
      for (const [fn, counts] of Object.entries(scenario.functions)) {
        if (counts.errors.length)
          this.notes.push(`${name}: ${fn} failed ${counts.errors.length}×: ${counts.errors[0]}`);
      }
    }
    return {
      scenarios,
      reaperPass,
      taskRules: this.taskRules.map((rule) => ({ name: rule.name, pattern: rule.pattern, targets: rule.targets })),
      busRules: this.busRules.map((rule) => ({ name: rule.name, pattern: rule.pattern, targets: rule.targets })),
      notes: this.notes,
    };
  }
}

async function startSlack() {
  const posts: number[] = [];
  const server = createServer((req, res) => {
    let bytes = 0;
    req.on("data", (chunk: Buffer) => (bytes += chunk.length));
    req.on("end", () => {
      posts.push(bytes);
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/bench`,
    posts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

if (require.main === module) {
  const [stackJson, outFile] = process.argv.slice(2);
  main(stackJson!, outFile!).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
