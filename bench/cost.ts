import { BURST_MODEL } from "./burst";
import type { CountsResult, FunctionCounts, ScenarioCounts } from "./counts";
import type { Price } from "./prices";
import { PRICES } from "./prices";
import type { StackFacts } from "./stack-facts";

/**
 * What the cost model assumes beyond the counts and the prices, each stated: these are not measured by the bench.
 */
export const COST_ASSUMPTIONS = {
  hoursPerMonth: 730,
  /** Hourly flows: one run per flow per hour. */
  runsPerFlowPerMonth: 730,
  flowRunMinutes: 10,
  /** Compressed size of the flow image (node:22-slim plus the bundle and the Snowflake driver); no Docker here to measure it. */
  imageGb: 0.15,
  /** Lambda's own START/END/REPORT records per invocation in the log group (JSON log format); not counted by the bench. */
  platformLogBytesPerInvocation: 500,
  /** Hourly runs leave each execution environment idle long enough to be reclaimed: every invocation is taken as cold. */
  coldStartShare: 1,
  /** "At 1,769 MB, a function has the equivalent of one vCPU" (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html): a 256 MB function gets 256/1769 of one, so the local cold load is scaled by 1769/memory. */
  vcpuMemoryMiB: 1769,
  cpuMsPerInvocation: 10,
  latencyMs: {
    dynamodb: BURST_MODEL.assumedLatencyMs.dynamodb,
    "ECS.RunTask": BURST_MODEL.assumedLatencyMs.runTask,
    "ECS.StopTask": 100,
    "ECS.DescribeTasks": 50,
    "EventBridge.PutEvents": BURST_MODEL.assumedLatencyMs.putEvents,
    "Scheduler.CreateSchedule": BURST_MODEL.assumedLatencyMs.createSchedule,
    "Lambda.Invoke": 20,
    "SSM.GetParameter": 20,
    "CloudWatchLogs.GetLogEvents": 30,
    "Slack.POST": 250,
  } as Record<string, number>,
  /** X-Ray: every invocation taken as one recorded trace (an upper bound; Lambda samples 1 a second + 5%). */
  tracesPerInvocation: 1,
  mwaaDatabaseGb: 10,
  /** Per-item storage overhead DynamoDB adds (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html). */
  dynamoItemOverheadBytes: 100,
};

export interface CostInputs {
  counts: CountsResult;
  facts: StackFacts;
  /** Local cold load (with --enable-source-maps) per function, ms, from section 1. */
  coldLoadMs: Record<string, number>;
  runRetentionDays: number;
  flowTask: { vcpu: number; memoryGb: number };
}

interface LineItem {
  name: string;
  perMonth: (flows: number) => number;
  note?: string;
}

const usd = (value: number) =>
  value === 0
    ? "$0"
    : value >= 100
      ? `$${Math.round(value).toLocaleString("en")}`
      : value >= 1
        ? `$${value.toFixed(2)}`
        : value >= 0.01
          ? `$${value.toFixed(3)}`
          : `$${value.toPrecision(2)}`;
const A = COST_ASSUMPTIONS;

/** What one invocation mix costs: requests, duration (modelled from the counted calls), units, events, logs, traces. */
function scenarioCost(inputs: CostInputs, scenario: Pick<ScenarioCounts, "functions" | "schedulerInvocations">) {
  let requests = 0;
  let tracedRequests = 0;
  let gbSeconds = 0;
  let wru = 0;
  let rru = 0;
  let customEvents = 0;
  let logBytes = 0;
  const itemBytes: Record<string, number> = {};
  for (const [fn, counts] of Object.entries(scenario.functions)) {
    if (!inputs.facts.functions[fn]) continue;
    requests += counts.invocations;
    if (inputs.facts.functions[fn]!.tracing === "Active") tracedRequests += counts.invocations;
    gbSeconds += (invocationMs(inputs, fn, counts) / 1000) * (inputs.facts.functions[fn]!.memoryMiB / 1024);
    wru += counts.dynamo.writeUnitsTable + Object.values(counts.dynamo.writeUnitsIndex).reduce((a, b) => a + b, 0);
    rru += counts.dynamo.readUnits;
    customEvents += counts.calls["EventBridge.entries"] ?? 0;
    logBytes += counts.logBytes + counts.invocations * A.platformLogBytesPerInvocation;
    for (const [key, bytes] of Object.entries(counts.dynamo.itemBytes))
      itemBytes[key] = Math.max(itemBytes[key] ?? 0, bytes);
  }
  const storedBytes = Object.values(itemBytes).reduce((sum, bytes) => sum + bytes + A.dynamoItemOverheadBytes, 0);
  const dollars = {
    lambdaRequests: requests * PRICES.lambdaRequest.usd,
    lambdaDuration: gbSeconds * PRICES.lambdaArmGbSecond.usd,
    dynamoWrites: wru * PRICES.dynamoWriteRequestUnit.usd,
    dynamoReads: rru * PRICES.dynamoReadRequestUnit.usd,
    customEvents: customEvents * PRICES.eventBridgeCustomEvent.usd,
    scheduler: scenario.schedulerInvocations * PRICES.schedulerInvocation.usd,
    logs: (logBytes / 1e9) * PRICES.cloudWatchLogsIngestGb.usd,
    traces: tracedRequests * A.tracesPerInvocation * PRICES.xrayTraceRecorded.usd,
  };
  const total = Object.values(dollars).reduce((a, b) => a + b, 0);
  return { requests, gbSeconds, wru, rru, customEvents, logBytes, storedBytes, dollars, total };
}

/** Billed milliseconds of all of one function's invocations: cold INIT, CPU, and each counted call at its latency. */
function invocationMs(inputs: CostInputs, fn: string, counts: FunctionCounts): number {
  const memory = inputs.facts.functions[fn]!.memoryMiB;
  const init = (inputs.coldLoadMs[fn] ?? inputs.coldLoadMs.launcher ?? 150) * (A.vcpuMemoryMiB / memory);
  const dynamoRequests = Object.values(counts.dynamo.requests).reduce(
    (sum, r) => sum + r.ok + r.conditionFailed + r.otherErrors,
    0,
  );
  const calls = Object.entries(counts.calls).reduce((sum, [name, n]) => sum + (A.latencyMs[name] ?? 0) * n, 0);
  return (
    counts.invocations * (A.cpuMsPerInvocation + A.coldStartShare * init) +
    dynamoRequests * A.latencyMs.dynamodb! +
    calls
  );
}

export function costModel(inputs: CostInputs) {
  const { counts, facts } = inputs;
  const perRun = Object.fromEntries(
    Object.entries(counts.scenarios).map(([name, scenario]) => [name, scenarioCost(inputs, scenario)]),
  );
  const success = perRun.success!;
  const runs = (flows: number) => flows * A.runsPerFlowPerMonth;
  const reaper = counts.reaperPass;
  const reaperTally = reaper.functions.reaper;
  const passesPerMonth = (A.hoursPerMonth * 60) / 5;
  const reaperPass = (flows: number) => {
    const queryRru = (reaperTally?.dynamo.readUnitsByOperation.Query ?? 0) / Math.max(1, reaper.flows);
    const getRru = (reaperTally?.dynamo.readUnitsByOperation.GetItem ?? 0) / Math.max(1, reaper.skipFlows);
    const queries = (reaperTally?.dynamo.requests.Query?.ok ?? 0) / Math.max(1, reaper.flows);
    const gets = (reaperTally?.dynamo.requests.GetItem?.ok ?? 0) / Math.max(1, reaper.skipFlows);
    // Default flows are overlap "skip": every flow's lock is read each pass.
    const requests = flows * (queries + gets);
    const memory = facts.functions.reaper?.memoryMiB ?? 256;
    const init = (inputs.coldLoadMs.reaper ?? 150) * (A.vcpuMemoryMiB / memory);
    const ms = A.cpuMsPerInvocation + A.coldStartShare * init + requests * A.latencyMs.dynamodb!;
    return {
      ms,
      requests,
      dollars:
        PRICES.lambdaRequest.usd +
        (ms / 1000) * (memory / 1024) * PRICES.lambdaArmGbSecond.usd +
        flows * (queryRru + getRru) * PRICES.dynamoReadRequestUnit.usd +
        (((reaperTally?.logBytes ?? 0) + A.platformLogBytesPerInvocation) / 1e9) * PRICES.cloudWatchLogsIngestGb.usd +
        (facts.functions.reaper?.tracing === "Active" ? PRICES.xrayTraceRecorded.usd : 0),
    };
  };
  const retentionMonths = inputs.runRetentionDays / 30.4;
  const storedGb = (flows: number) => (runs(flows) * retentionMonths * success.storedBytes) / 1e9;
  const alarms = facts.resourceCounts.aws_cloudwatch_metric_alarm ?? 0;
  const fargateHour = (vcpu: number, gb: number) =>
    vcpu * PRICES.fargateX86VcpuHour.usd + gb * PRICES.fargateX86GbHour.usd;

  const controlPlane: LineItem[] = [
    { name: "Lambda requests (runs)", perMonth: (f) => runs(f) * success.dollars.lambdaRequests },
    {
      name: "Lambda duration (runs, INIT included)",
      perMonth: (f) => runs(f) * success.dollars.lambdaDuration,
      note: "*modelled*, an upper bound",
    },
    { name: "DynamoDB writes (table + GSIs)", perMonth: (f) => runs(f) * success.dollars.dynamoWrites },
    { name: "DynamoDB reads", perMonth: (f) => runs(f) * success.dollars.dynamoReads },
    {
      name: "DynamoDB storage + PITR",
      perMonth: (f) => storedGb(f) * (PRICES.dynamoStorageGbMonth.usd + PRICES.dynamoPitrGbMonth.usd),
    },
    { name: "EventBridge custom events", perMonth: (f) => runs(f) * success.dollars.customEvents },
    { name: "EventBridge Scheduler invocations", perMonth: (f) => runs(f) * success.dollars.scheduler },
    { name: "CloudWatch Logs ingestion (functions)", perMonth: (f) => runs(f) * success.dollars.logs },
    {
      name: "X-Ray traces (upper bound; 0 while the stack's tracing is off)",
      perMonth: (f) => runs(f) * success.dollars.traces,
    },
    {
      name: "Reaper every 5 min (Lambda, reads, logs, traces)",
      perMonth: (f) => passesPerMonth * reaperPass(f).dollars,
    },
    { name: `CloudWatch alarms (${alarms} in the stack)`, perMonth: () => alarms * PRICES.cloudWatchAlarmMonth.usd },
    { name: "KMS key (alarm topic)", perMonth: () => PRICES.kmsKeyMonth.usd },
    {
      name: "ECR image storage",
      perMonth: () => A.imageGb * PRICES.ecrStorageGbMonth.usd,
      note: "*assumed* image size",
    },
  ];
  const apart: LineItem[] = [
    {
      name: "NAT gateway + its public IPv4, hours",
      perMonth: () => A.hoursPerMonth * (PRICES.natGatewayHour.usd + PRICES.publicIpv4Hour.usd),
    },
    {
      name: "Image pulls, layers through the S3 gateway endpoint (this stack)",
      perMonth: () => 0,
      note: "layers are S3 objects, carried free by the endpoint; manifests through the NAT are a few KB",
    },
    {
      name: "Image pulls if layers went through the NAT gateway",
      perMonth: (f) => runs(f) * A.imageGb * PRICES.natGatewayGb.usd,
      note: "Fargate pulls the image for every task",
    },
    {
      name: `Flow tasks on Fargate (${inputs.flowTask.vcpu} vCPU / ${inputs.flowTask.memoryGb} GB, ${A.flowRunMinutes} min a run)`,
      perMonth: (f) => runs(f) * (A.flowRunMinutes / 60) * fargateHour(inputs.flowTask.vcpu, inputs.flowTask.memoryGb),
      note: "the same whichever orchestrator starts them",
    },
  ];
  const alternatives: LineItem[] = [
    { name: "Always-on agent on Fargate, 1 vCPU / 2 GB", perMonth: () => A.hoursPerMonth * fargateHour(1, 2) },
    {
      name: "Always-on agent on Fargate, 0.25 vCPU / 0.5 GB",
      perMonth: () => A.hoursPerMonth * fargateHour(0.25, 0.5),
    },
    {
      name: "MWAA mw1.small (smallest priced environment)",
      perMonth: () =>
        A.hoursPerMonth * PRICES.mwaaSmallEnvironmentHour.usd + A.mwaaDatabaseGb * PRICES.mwaaDatabaseGbMonth.usd,
      note: "runs at most 50 DAGs: 100 and 1,000 flows need a larger class; mw1.micro (25 DAGs) has no price I could find",
    },
  ];
  return { perRun, reaperPass, controlPlane, apart, alternatives, storedGb, passesPerMonth };
}

const SIZES = [10, 100, 1000];

/** docs/cost.md, generated from the counts, the stack and the price table. */
export function costMarkdown(inputs: CostInputs, generatedAt: string, resultFile: string): string {
  const model = costModel(inputs);
  const lines: string[] = [];
  const push = (...text: string[]) => lines.push(...text);
  const scenarios = Object.entries(inputs.counts.scenarios);
  push(
    "# What data-flows costs to run",
    "",
    `Generated by \`npm run bench\` on ${generatedAt} (results: \`${resultFile}\`). Do not edit by hand: change`,
    "`bench/prices.ts` or `bench/cost.ts` and run the bench again.",
    "",
    "The counts below are not estimates: the bench drives the deployed Lambda entry points (`lambdas/<name>.ts`) with the",
    "environment the synthesized stack gives them, routes ECS events and run changes through the stack's own EventBridge",
    "rules, and counts every SDK command they send; DynamoDB capacity is computed from the actual requests (a metering",
    "proxy in front of dynalite) with DynamoDB's documented rules. Prices are list prices (see the last table); free",
    "tiers are not applied. Figures marked *modelled* rest on the assumptions listed at the end.",
    "",
    "## One run, counted",
    "",
    `| per run | ${scenarios.map(([name]) => name).join(" | ")} |`,
    `| --- | ${scenarios.map(() => "---:").join(" | ")} |`,
  );
  const fns = ["launcher", "recorder", "alerter"];
  const row = (label: string, value: (scenario: ScenarioCounts, name: string) => number | string) =>
    push(`| ${label} | ${scenarios.map(([name, scenario]) => String(value(scenario, name))).join(" | ")} |`);
  const sum = (scenario: ScenarioCounts, pick: (counts: FunctionCounts) => number) =>
    Object.values(scenario.functions).reduce((total, counts) => total + pick(counts), 0);
  for (const fn of fns) row(`${fn} invocations`, (s) => s.functions[fn]?.invocations ?? 0);
  row("DynamoDB requests (of which condition failed)", (s) => {
    const all = sum(s, (c) =>
      Object.values(c.dynamo.requests).reduce((t, r) => t + r.ok + r.conditionFailed + r.otherErrors, 0),
    );
    const failed = sum(s, (c) => Object.values(c.dynamo.requests).reduce((t, r) => t + r.conditionFailed, 0));
    return `${all} (${failed})`;
  });
  row("DynamoDB write units, table", (s) => sum(s, (c) => c.dynamo.writeUnitsTable));
  for (const index of inputs.facts.table.indexes) {
    row(`DynamoDB write units, GSI \`${index.name}\``, (s) => sum(s, (c) => c.dynamo.writeUnitsIndex[index.name] ?? 0));
  }
  row("DynamoDB read units", (s) => sum(s, (c) => c.dynamo.readUnits));
  row("largest run item (bytes)", (s) =>
    Math.max(0, ...Object.values(s.functions).flatMap((c) => Object.values(c.dynamo.itemBytes))),
  );
  row(
    "PutEvents calls (custom events)",
    (s) =>
      `${sum(s, (c) => c.calls["EventBridge.PutEvents"] ?? 0)} (${sum(s, (c) => c.calls["EventBridge.entries"] ?? 0)})`,
  );
  row("ECS RunTask / StopTask / DescribeTasks", (s) =>
    ["ECS.RunTask", "ECS.StopTask", "ECS.DescribeTasks"].map((call) => sum(s, (c) => c.calls[call] ?? 0)).join(" / "),
  );
  row(
    "Scheduler CreateSchedule / invocations",
    (s) => `${sum(s, (c) => c.calls["Scheduler.CreateSchedule"] ?? 0)} / ${s.schedulerInvocations}`,
  );
  row("SSM GetParameter / Slack posts / GetLogEvents", (s) =>
    ["SSM.GetParameter", "Slack.POST", "CloudWatchLogs.GetLogEvents"]
      .map((call) => sum(s, (c) => c.calls[call] ?? 0))
      .join(" / "),
  );
  row("ECS events emitted / let through to the recorder", (s) => `${s.ecsEventsEmitted} / ${s.ecsEventsDelivered}`);
  row("bytes the functions logged", (s) => sum(s, (c) => c.logBytes));
  row(
    "**cost of 1,000 such runs** (flow tasks and NAT apart)",
    (_, name) => `**${usd(model.perRun[name]!.total * 1000)}**`,
  );
  const success = inputs.counts.scenarios.success;
  if (success) {
    const recorder = success.functions.recorder;
    const failedWrites = Object.values(recorder?.dynamo.requests ?? {}).reduce((t, r) => t + r.conditionFailed, 0);
    const largest = Math.max(0, ...Object.values(success.functions).flatMap((c) => Object.values(c.dynamo.itemBytes)));
    const findings = [
      ...(failedWrites
        ? [
            `Of the ${success.ecsEventsEmitted} events ECS sends about a task, the stack's rule lets ${success.ecsEventsDelivered} through to the recorder, and`,
            `${failedWrites} of them changes nothing (ECS reports RUNNING a second time when the essential container exits, with`,
            "`desiredStatus` STOPPED): its conditional write fails, which still costs a write unit, and the recorder then reads",
            "the run to say why.",
          ]
        : []),
      ...(success.functions.alerter?.invocations
        ? [
            `A success invokes the alerter too (${success.functions.alerter.invocations}×): the bus rule routes SUCCEEDED to it for the "recovered" note,`,
            "and it queries the flow's recent runs to decide.",
          ]
        : []),
      ...(largest > 1024
        ? [
            `A run's item grows to ${largest} bytes with its history, past 1 KB, so its last writes cost 2 write units in the`,
            "table and in each index that holds it.",
          ]
        : []),
    ];
    if (findings.length) push("", ...findings);
  }
  const reaper = inputs.counts.reaperPass;
  const reaperRequests = Object.entries(reaper.functions.reaper?.dynamo.requests ?? {})
    .map(([op, r]) => `${r.ok + r.conditionFailed} ${op}`)
    .join(" and ");
  push(
    "",
    `The reaper runs every 5 minutes whatever happens (${model.passesPerMonth.toLocaleString("en")} passes a month). One pass over the`,
    `${reaper.flows} flows of the shipped registry (${reaper.skipFlows} of them overlap \`skip\`), with no active run, sent ${reaperRequests}`,
    `(${reaper.functions.reaper?.dynamo.readUnits ?? 0} read units): one active-index query per flow and one lock read per \`skip\` flow.`,
    "A pass grows with the registry, not with the runs; the monthly bill below scales it to every flow being `skip`",
    "(the default).",
    "",
    "## Monthly bill, every flow running hourly",
    "",
    `| line item | ${SIZES.map((f) => `${f.toLocaleString("en")} flows`).join(" | ")} |`,
    `| --- | ${SIZES.map(() => "---:").join(" | ")} |`,
  );
  const table = (items: LineItem[]) => {
    for (const item of items) {
      push(
        `| ${item.name}${item.note ? ` — ${item.note}` : ""} | ${SIZES.map((f) => usd(item.perMonth(f))).join(" | ")} |`,
      );
    }
  };
  table(model.controlPlane);
  const controlTotal = (f: number) => model.controlPlane.reduce((t, item) => t + item.perMonth(f), 0);
  push(`| **control plane** | ${SIZES.map((f) => `**${usd(controlTotal(f))}**`).join(" | ")} |`);
  push(
    "",
    "Shown apart, because they do not depend on the orchestrator (an agent needs the same egress and runs the same tasks):",
    "",
  );
  push(
    `| line item | ${SIZES.map((f) => `${f.toLocaleString("en")} flows`).join(" | ")} |`,
    `| --- | ${SIZES.map(() => "---:").join(" | ")} |`,
  );
  table(model.apart);
  push(
    "",
    "## Next to an always-on orchestrator",
    "",
    "What runs all month whether or not a flow runs, against this control plane (flow tasks, NAT and image pulls excluded",
    "from every column: they are the same for all):",
    "",
    `| orchestrator | ${SIZES.map((f) => `${f.toLocaleString("en")} flows`).join(" | ")} |`,
    `| --- | ${SIZES.map(() => "---:").join(" | ")} |`,
    `| data-flows control plane (above) | ${SIZES.map((f) => usd(controlTotal(f))).join(" | ")} |`,
  );
  table(model.alternatives);
  push(
    "",
    "An agent's own logs, state store and any SaaS control plane are not included in its column; MWAA's price includes",
    "its scheduler, web server, one worker and queue.",
    "",
    "## Prices",
    "",
    "| price | USD | unit | region | looked up | source |",
    "| --- | ---: | --- | --- | --- | --- |",
  );
  for (const [id, price] of Object.entries(PRICES) as [string, Price][]) {
    push(
      `| \`${id}\` | ${price.usd < 0.001 ? price.usd.toExponential(4) : price.usd} | ${price.unit} | ${price.region} | ${price.asOf} | ${price.source}${price.seenIn ? ` (read in: ${price.seenIn})` : ""}${price.note ? `; ${price.note}` : ""} |`,
    );
  }
  push(
    "",
    "The stacks deploy to eu-west-1 (Ireland); its list prices are a few percent above these US East ones.",
    "",
    "## Assumptions (not measured)",
    "",
    `- Runs: ${A.runsPerFlowPerMonth} per flow a month (hourly, ${A.hoursPerMonth} hours); every run succeeds. A failed run or a retried one`,
    "  costs what its column in the first table says.",
    `- Lambda duration is *modelled*: per invocation ${A.cpuMsPerInvocation} ms of CPU, plus each counted call at an assumed latency`,
    `  (${Object.entries(A.latencyMs)
      .map(([call, ms]) => `${call} ${ms} ms`)
      .join(", ")}), plus a cold start on every invocation`,
    `  (share ${A.coldStartShare}): the local cold load of the bundle with source maps (section 1) × ${A.vcpuMemoryMiB}/memory, since a`,
    "  256 MB function has about a seventh of a vCPU. INIT is billed since 2025-08-01.",
    `- Logs: the bytes the functions logged, counted, plus ${A.platformLogBytesPerInvocation} bytes per invocation for Lambda's platform records (not counted).`,
    "  Flow tasks' own logs depend on the flows and are not included.",
    `- X-Ray: one trace per invocation of a function the stack traces (an upper bound); tracing is ${Object.values(inputs.facts.functions).some((fn) => fn.tracing === "Active") ? "on" : "off (the default: README)"} in this stack. DynamoDB storage: each run's items as written (+${A.dynamoItemOverheadBytes} bytes each),`,
    `  kept ${inputs.runRetentionDays} days (prod's retention), with point-in-time recovery.`,
    `- Flow image: ${A.imageGb} GB compressed (not measured: no Docker on the bench machine). Flow tasks: ${A.flowRunMinutes} minutes a run at`,
    `  the registry's default size (${inputs.flowTask.vcpu} vCPU / ${inputs.flowTask.memoryGb} GB, Linux/x86).`,
    "- Not included: Container Insights (enabled on the cluster: its metrics and performance logs are billed per task), SQS",
    "  dead-letter queues and SNS (pennies), data the flows themselves send through the NAT gateway (depends on the flows).",
    "",
  );
  return lines.join("\n");
}
