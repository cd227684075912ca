import { CloudWatchLogsClient, CreateLogGroupCommand, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import type { EventRoute } from "../../contracts/event-routes";
import { eventRoutes, routesOf } from "../../contracts/event-routes";
import { runStateChangedEnvelope } from "../../contracts/run-events";
import { RUN_STATES, RunState, TERMINAL_STATES, Trigger } from "../../contracts/run-states";
import { ECS_FIXTURES, ecsEvent, FIXTURE_CLUSTER_ARN } from "../support/fixtures";
import type { Moto } from "../support/moto";
import { MOTO_SKIP_REASON, startMoto } from "../support/moto";

if (MOTO_SKIP_REASON) console.log(`event routes not checked against an EventBridge emulator: ${MOTO_SKIP_REASON}`);
const describeWithMoto = MOTO_SKIP_REASON ? describe.skip : describe;

const ACCOUNT = "111122223333";
/** More flows than one rule's 2,048-character pattern holds, so the upstream routes come in several rules. */
const UPSTREAM_FLOWS = Array.from({ length: 150 }, (_, index) => `upstream-flow-${String(index).padStart(3, "0")}`);

interface Sample {
  label: string;
  event: { source: string; "detail-type": string; detail: object; resources?: string[] };
}

/** Real-shaped ECS events of this cluster and another, and run changes of every state, trigger and kind of flow. */
function samples(): Sample[] {
  const ecs: Sample[] = ECS_FIXTURES.map((name) => ({
    label: `ECS ${name}`,
    event: ecsEvent(name) as Sample["event"],
  }));
  const exited = ecsEvent("task-running");
  exited.detail.desiredStatus = "STOPPED";
  const elsewhere = ecsEvent("task-stopped-exit-0");
  elsewhere.detail.clusterArn = `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/someone-else`;
  ecs.push({ label: "ECS running, its container exited", event: exited as Sample["event"] });
  ecs.push({ label: "ECS stopped, in another cluster", event: elsewhere as Sample["event"] });
  const change = (flow: string, trigger: Trigger, to: RunState, recoversFrom?: string): Sample => ({
    label: `${flow} ${trigger} → ${to}${recoversFrom ? " (recovers)" : ""}`,
    event: runStateChangedEnvelope({
      runId: `${flow}/20260303T1000Z`,
      flow,
      trigger,
      from: null,
      to,
      attempt: 1,
      maxAttempts: 1,
      at: "2026-03-03T10:05:00.000Z",
      ...(recoversFrom && { recoversFrom }),
    }),
  });
  const alone = "a-flow-nobody-follows";
  // The emulator takes ~0.1 s a delivery: every state once, and each case a rule tells apart.
  const runs: Sample[] = [
    ...RUN_STATES.map((to) => change(alone, Trigger.schedule, to)),
    ...TERMINAL_STATES.map((to) => change(alone, Trigger.backfill, to)),
    change(alone, Trigger.backfill, RunState.RUNNING),
    change(alone, Trigger.manual, RunState.SUCCEEDED, `${alone}/20260302T1000Z`),
    change(alone, Trigger.manual, RunState.FAILED, `${alone}/20260302T1000Z`),
    change(UPSTREAM_FLOWS[0]!, Trigger.schedule, RunState.SUCCEEDED),
    change(UPSTREAM_FLOWS.at(-1)!, Trigger.upstream, RunState.SUCCEEDED),
    change(UPSTREAM_FLOWS.at(-1)!, Trigger.schedule, RunState.RUNNING),
  ];
  return [...ecs, ...runs];
}

describeWithMoto("the event routes, as an EventBridge emulator (moto) routes them", () => {
  let moto: Moto;
  let events: EventBridgeClient;
  let logs: CloudWatchLogsClient;
  const routes = eventRoutes({ clusterArn: FIXTURE_CLUSTER_ARN, upstreamFlows: UPSTREAM_FLOWS });
  const busOf = (route: Pick<EventRoute, "bus">) => (route.bus === "runs" ? "data-flows-dev" : "default");
  const logGroupOf = (route: EventRoute) => `/routes/${route.rule}`;

  beforeAll(async () => {
    moto = await startMoto(ACCOUNT);
    events = new EventBridgeClient(moto.clientConfig);
    logs = new CloudWatchLogsClient(moto.clientConfig);
    await events.send(new CreateEventBusCommand({ Name: "data-flows-dev" }));
    // Each route becomes a rule as the stack writes it, delivering to a log group of its own instead of a function.
    for (const route of routes) {
      await logs.send(new CreateLogGroupCommand({ logGroupName: logGroupOf(route) }));
      const bus = { EventBusName: busOf(route) };
      await events.send(new PutRuleCommand({ Name: route.rule, ...bus, EventPattern: JSON.stringify(route.pattern) }));
      await events.send(
        new PutTargetsCommand({
          Rule: route.rule,
          ...bus,
          Targets: [{ Id: "to", Arn: `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:${logGroupOf(route)}` }],
        }),
      );
    }
  }, 30_000);
  afterAll(async () => {
    events?.destroy();
    logs?.destroy();
    await moto?.stop();
  });

  it("holds the upstream flows in more than one rule, each pattern within EventBridge's limit", () => {
    expect(routes.filter((route) => route.rule.startsWith("upstream-successes")).length).toBeGreaterThan(1);
  });

  it("delivers every sample to exactly the routes the local bus and the simulation deliver it to", async () => {
    const sent = samples();
    const labelOf = new Map<string, string>();
    for (const bus of ["default", "data-flows-dev"]) {
      const onBus = sent.filter((sample) => (sample.event.source === "aws.ecs" ? "default" : "data-flows-dev") === bus);
      for (let start = 0; start < onBus.length; start += 10) {
        const batch = onBus.slice(start, start + 10);
        const { Entries = [] } = await events.send(
          new PutEventsCommand({
            Entries: batch.map(({ event }) => ({
              EventBusName: bus,
              Source: event.source,
              DetailType: event["detail-type"],
              Detail: JSON.stringify(event.detail),
              Resources: event.resources ?? [],
            })),
          }),
        );
        Entries.forEach((entry, index) => labelOf.set(entry.EventId!, batch[index]!.label));
      }
    }
    const delivered = new Map<string, string[]>(sent.map(({ label }) => [label, []]));
    for (const route of routes) {
      const { events: written = [] } = await logs.send(new FilterLogEventsCommand({ logGroupName: logGroupOf(route) }));
      for (const { message } of written)
        delivered.get(labelOf.get((JSON.parse(message!) as { id: string }).id)!)!.push(route.rule);
    }
    const expected = new Map(
      sent.map(({ label, event }) => [label, routesOf(routes, event).map((route) => route.rule)]),
    );
    const asLines = (routed: Map<string, string[]>) =>
      [...routed].map(([label, rules]) => `${label}: ${[...rules].sort().join(", ")}`);
    expect(asLines(delivered)).toEqual(asLines(expected));
    // Not a vacuous agreement: every route delivered something, and some samples reach no function at all.
    expect(routes.every((route) => [...expected.values()].some((rules) => rules.includes(route.rule)))).toBe(true);
    expect([...expected.values()].some((rules) => rules.length === 0)).toBe(true);
  });
});
