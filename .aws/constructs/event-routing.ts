import { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus";
import { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { Construct } from "constructs";
import type { ControlPlaneFunctionName } from "../../contracts/control-plane";
import { FunctionEnv } from "../../contracts/control-plane";
import { eventRoutes, REAPER_HEARTBEAT } from "../../contracts/event-routes";
import type { EnvironmentNames } from "../../contracts/resource-names";
import type { FlowRegistry } from "../../flows/registry/flow-registry";
import { allow } from "../iam";
import type { ControlPlaneFunction } from "./control-plane-function";
import { DeadLetterQueue } from "./dead-letter-queue";
import { FunctionRule } from "./function-rule";

export interface EventRoutingProps {
  names: EnvironmentNames;
  registry: FlowRegistry;
  /** The cluster whose task state changes are ours. */
  clusterArn: string;
  functions: Record<ControlPlaneFunctionName, ControlPlaneFunction>;
  alarms: { topicArn: string; periodSeconds: number };
}

/**
 * How events reach the functions: one rule per route of `contracts/event-routes.ts` (ECS task state changes of the
 * flow cluster → recorder; the environment's run bus → alerter and launcher), and the reaper's heartbeat.
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
    const routes = eventRoutes({ clusterArn: props.clusterArn, upstreamFlows: props.registry.upstreamFlows });
    const rules = routes.map(
      (route) =>
        new FunctionRule(this, route.rule, {
          name: `${names.prefix}-${route.rule}`,
          description: route.description,
          ...(route.bus === "runs" && { eventBusName: this.bus.name }),
          eventPattern: route.pattern,
          target: functions[route.target],
          deadLetterArn: deadLetters.arn,
        }),
    );
    rules.push(
      new FunctionRule(this, REAPER_HEARTBEAT.rule, {
        name: `${names.prefix}-${REAPER_HEARTBEAT.rule}`,
        description: REAPER_HEARTBEAT.description,
        scheduleExpression: `rate(${REAPER_HEARTBEAT.periodMinutes} minutes)`,
        target: functions[REAPER_HEARTBEAT.target],
        deadLetterArn: deadLetters.arn,
      }),
    );
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
