import { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus";
import { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { Construct } from "constructs";
import { FunctionEnv } from "../../contracts/control-plane";
import type { EnvironmentNames } from "../../contracts/resource-names";
import { RUN_EVENT_DETAIL_TYPE, RUN_EVENT_SOURCE } from "../../contracts/run-events";
import type { FlowRegistry } from "../../flows/registry/flow-registry";
import { ALERTER_RUN_ROUTES, RECORDER_TASK_ROUTES } from "../../lambdas/core/event-routes";
import { Trigger } from "../../lambdas/core/run";
import { isTerminal, RUN_STATES, RunState } from "../../lambdas/core/run-state";
import { allow } from "../iam";
import type { ControlPlaneFunction } from "./control-plane-function";
import { DeadLetterQueue } from "./dead-letter-queue";
import { FunctionRule } from "./function-rule";

/** EventBridge's limit on an event pattern's size, in characters (Amazon EventBridge quotas). */
export const EVENT_PATTERN_MAX_CHARACTERS = 2048;

/** Splits items, in order, into the fewest runs that each still `fits`. */
function chunkBySize<T>(items: readonly T[], fits: (chunk: T[]) => boolean): T[][] {
  const chunks: T[][] = [];
  for (const item of items) {
    const last = chunks.at(-1);
    if (last && fits([...last, item])) last.push(item);
    else chunks.push([item]);
  }
  return chunks;
}

export interface EventRoutingProps {
  names: EnvironmentNames;
  registry: FlowRegistry;
  /** The cluster whose task state changes are ours. */
  clusterArn: string;
  functions: Record<"launcher" | "recorder" | "alerter" | "reaper", ControlPlaneFunction>;
  alarms: { topicArn: string; periodSeconds: number };
}

/**
 * How events reach the functions: ECS task state changes of the flow cluster → recorder; the environment's run bus
 * with its alerting states → alerter and upstream successes → launcher; the reaper's 5-minute heartbeat.
 */
export class EventRouting extends Construct {
  readonly bus: CloudwatchEventBus;

  constructor(scope: Construct, id: string, props: EventRoutingProps) {
    super(scope, id);
    const { names, functions } = props;
    this.bus = new CloudwatchEventBus(this, "run-events", { name: names.eventBus });
    // Events EventBridge could not hand to a function (a missing permission, throttling past its retries).
    const deadLetters = new DeadLetterQueue(this, "delivery-dead-letters", {
      name: `${names.prefix}-event-delivery-dlq`,
      description: "EventBridge could not deliver events to a function",
      alarms: props.alarms,
    });
    const rules: FunctionRule[] = [];
    const rule = (
      ruleId: string,
      rest: Omit<ConstructorParameters<typeof FunctionRule>[2], "name" | "deadLetterArn">,
    ) =>
      rules.push(
        new FunctionRule(this, ruleId, { name: `${names.prefix}-${ruleId}`, deadLetterArn: deadLetters.arn, ...rest }),
      );

    for (const route of RECORDER_TASK_ROUTES)
      rule(route.rule, {
        description: route.description,
        eventPattern: {
          source: ["aws.ecs"],
          "detail-type": ["ECS Task State Change"],
          detail: { clusterArn: [props.clusterArn], ...route.detail },
        },
        target: functions.recorder,
      });
    for (const route of ALERTER_RUN_ROUTES)
      rule(route.rule, {
        description: route.description,
        eventBusName: this.bus.name,
        eventPattern: { source: [RUN_EVENT_SOURCE], "detail-type": [RUN_EVENT_DETAIL_TYPE], detail: route.detail },
        target: functions.alerter,
      });
    const upstreamFlows = [...new Set(props.registry.flows.flatMap((flow) => flow.upstream))].sort();
    const upstreamPattern = (flows: string[]) => ({
      source: [RUN_EVENT_SOURCE],
      "detail-type": [RUN_EVENT_DETAIL_TYPE],
      detail: { to: [RunState.SUCCEEDED], flow: flows },
    });
    // An event pattern may hold 2,048 characters (EventBridge quotas): as many rules as the upstream flows need.
    chunkBySize(
      upstreamFlows,
      (flows) => JSON.stringify(upstreamPattern(flows)).length <= EVENT_PATTERN_MAX_CHARACTERS,
    ).forEach((flows, index) =>
      rule(index === 0 ? "upstream-successes" : `upstream-successes-${index + 1}`, {
        description: "Successes that start downstream flows",
        eventBusName: this.bus.name,
        eventPattern: upstreamPattern(flows),
        target: functions.launcher,
      }),
    );
    rule("backfill-endings", {
      description: "Backfill runs that ended: their backfill starts its next slots",
      eventBusName: this.bus.name,
      eventPattern: {
        source: [RUN_EVENT_SOURCE],
        "detail-type": [RUN_EVENT_DETAIL_TYPE],
        detail: { trigger: [Trigger.backfill], to: RUN_STATES.filter(isTerminal) },
      },
      target: functions.launcher,
    });
    rule("reaper-schedule", {
      description: "Enforce timeouts, reconcile lost runs",
      scheduleExpression: "rate(5 minutes)",
      target: functions.reaper,
    });
    new SqsQueuePolicy(this, "delivery-dead-letters-policy", {
      queueUrl: deadLetters.queue.url,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "EventBridgeDeadLettersOfTheseRules",
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: "sqs:SendMessage",
            Resource: deadLetters.arn,
            Condition: { ArnEquals: { "aws:SourceArn": rules.map((routed) => routed.rule.arn) } },
          },
        ],
      }),
    });
    // Events the recorder ignored, counted by reason (other cluster, unknown run, stale, duplicate…) from its logs.
    new CloudwatchLogMetricFilter(this, "ignored-task-events", {
      name: `${names.prefix}-ignored-task-events`,
      logGroupName: functions.recorder.logGroupName,
      pattern: "{ $.ignored = * }",
      metricTransformation: {
        name: "IgnoredTaskEvents",
        namespace: "DataFlows",
        value: "1",
        dimensions: { environment: names.environment, reason: "$.ignored" },
      },
    });
  }

  /** Lets functions announce run changes on the bus (the `events` port). */
  grantPublish(...functions: ControlPlaneFunction[]): void {
    for (const fn of functions) {
      fn.addEnvironment({ [FunctionEnv.eventBusName]: this.bus.name });
      fn.addToRolePolicy(allow(["events:PutEvents"], [this.bus.arn]));
    }
  }
}
