import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule";
import { SchedulerScheduleGroup } from "@cdktf/provider-aws/lib/scheduler-schedule-group";
import { Construct } from "constructs";
import { FunctionEnv } from "../../contracts/control-plane";
import type { EnvironmentNames } from "../../contracts/resource-names";
import type { FlowDefinition } from "../../flows/registry/flow-definition";
import { scheduleSpecOf, toSchedulerExpression } from "../../flows/registry/schedule";
import type { LaunchCommand } from "../../contracts/launch-commands";
import { allow, assumeRolePolicy, policyDocument } from "../iam";
import type { ControlPlaneFunction } from "./control-plane-function";
import { DeadLetterQueue } from "./dead-letter-queue";

export interface SchedulingProps {
  names: EnvironmentNames;
  region: string;
  accountId: string;
  flows: readonly FlowDefinition[];
  /** What every schedule and retry schedule invokes. */
  launcher: ControlPlaneFunction;
  /** First backoff step before a failed attempt is retried (it grows per attempt). */
  retryBaseDelaySeconds: number;
  alarms: { topicArn: string; periodSeconds: number };
}

/**
 * EventBridge Scheduler: one schedule per enabled flow (its timezone, no flexible window, retries, a dead-letter
 * queue), and a group for the one-time retry schedules the functions create. Both invoke the launcher with one role.
 */
export class Scheduling extends Construct {
  private readonly launcher: ControlPlaneFunction;
  private readonly role: IamRole;
  private readonly retryGroup: SchedulerScheduleGroup;
  private readonly deadLetters: DeadLetterQueue;
  private readonly retryBaseDelaySeconds: number;
  private readonly region: string;
  private readonly accountId: string;

  constructor(scope: Construct, id: string, props: SchedulingProps) {
    super(scope, id);
    const { names, launcher } = props;
    this.launcher = launcher;
    this.retryBaseDelaySeconds = props.retryBaseDelaySeconds;
    this.region = props.region;
    this.accountId = props.accountId;
    const group = new SchedulerScheduleGroup(this, "schedule-group", { name: names.scheduleGroup });
    this.retryGroup = new SchedulerScheduleGroup(this, "retry-schedule-group", { name: names.retryScheduleGroup });
    this.deadLetters = new DeadLetterQueue(this, "scheduler-dead-letters", {
      name: `${names.prefix}-scheduler-dlq`,
      description: "Schedules or retries could not invoke the launcher",
      alarms: props.alarms,
    });
    this.role = new IamRole(this, "scheduler-role", {
      name: `${names.prefix}-scheduler`,
      assumeRolePolicy: assumeRolePolicy("scheduler.amazonaws.com", {
        StringEquals: { "aws:SourceAccount": props.accountId },
      }),
    });
    new IamRolePolicy(this, "scheduler-policy", {
      role: this.role.id,
      name: "invoke-launcher",
      policy: policyDocument([
        allow(["lambda:InvokeFunction"], [launcher.arn]),
        allow(["sqs:SendMessage"], [this.deadLetters.arn]),
      ]),
    });
    for (const flow of props.flows) {
      if (!flow.schedule?.enabled) continue;
      const input: LaunchCommand = {
        kind: "schedule",
        flow: flow.name,
        scheduledTime: "<aws.scheduler.scheduled-time>",
      };
      new SchedulerSchedule(this, `schedule-${flow.name}`, {
        name: flow.name,
        groupName: group.name,
        description: flow.description,
        scheduleExpression: toSchedulerExpression(scheduleSpecOf(flow.schedule)),
        scheduleExpressionTimezone: flow.schedule.timezone,
        flexibleTimeWindow: { mode: "OFF" },
        state: "ENABLED",
        target: {
          arn: launcher.arn,
          roleArn: this.role.arn,
          input: JSON.stringify(input),
          retryPolicy: { maximumRetryAttempts: 10, maximumEventAgeInSeconds: flow.maxLatenessMinutes * 60 },
          deadLetterConfig: { arn: this.deadLetters.arn },
        },
      });
    }
  }

  /**
   * Lets functions schedule a run's next attempt (the `retries` port): one-time schedules in the retry group that
   * invoke the launcher as the scheduler role. The launcher targets itself by its own ARN; the others are told it.
   */
  grantRetries(...functions: ControlPlaneFunction[]): void {
    // The schedules are made at run time, in the retry group: their ARNs follow the group's name.
    const retrySchedules = `arn:aws:scheduler:${this.region}:${this.accountId}:schedule/${this.retryGroup.name}/*`;
    for (const fn of functions) {
      fn.addEnvironment({
        [FunctionEnv.retryScheduleGroup]: this.retryGroup.name,
        [FunctionEnv.retryRoleArn]: this.role.arn,
        [FunctionEnv.retryDeadLetterArn]: this.deadLetters.arn,
        [FunctionEnv.retryBaseDelaySeconds]: String(this.retryBaseDelaySeconds),
        ...(fn !== this.launcher && { [FunctionEnv.launcherArn]: this.launcher.arn }),
      });
      fn.addToRolePolicy(
        allow(["scheduler:CreateSchedule", "scheduler:DeleteSchedule"], [retrySchedules]),
        allow(["iam:PassRole"], [this.role.arn], {
          StringEquals: { "iam:PassedToService": "scheduler.amazonaws.com" },
        }),
      );
    }
  }
}
