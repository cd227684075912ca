import type { FlowImage } from "./flow-images";
import { FLOW_IMAGES } from "./flow-images";
import { FLOW_CONTAINER_NAME } from "./task-environment";

/**
 * The names of one environment's resources. The stack creates resources under these names; the Lambdas, the local
 * control plane and the CLI find them by the same names. Change a name here and every side follows.
 */
export interface EnvironmentNames {
  /** `dev`, `prod`, `local`. */
  environment: string;
  /** The SSM segment: `Dev` in `/DataFlows/Dev/SNOWFLAKE_USER`. */
  ssmEnvironment: string;
  /** `data-flows-<environment>`: prefixes every resource. */
  prefix: string;
  cluster: string;
  /** The ECR repository of one of the flow images (`FLOW_IMAGES`), e.g. `data-flows-dev-python`. */
  imageRepository(image: FlowImage): string;
  runsTable: string;
  eventBus: string;
  scheduleGroup: string;
  retryScheduleGroup: string;
  /** A control-plane function, e.g. `data-flows-dev-launcher`. */
  functionName(name: string): string;
  /** A flow's task-definition family, e.g. `data-flows-dev-orders-daily`. */
  taskFamily(flow: string): string;
  /** A flow's CloudWatch log group. */
  flowLogGroup(flow: string): string;
  /** The awslogs stream prefix of a flow's task definition. */
  flowLogStreamPrefix(flow: string): string;
  /** The stream one task of a flow logs to: awslogs names it `<prefix>/<container>/<task id>`. */
  flowLogStream(flow: string, taskId: string): string;
  /** The SSM parameter holding a secret, e.g. `/DataFlows/Dev/DBT_CLOUD_TOKEN`. */
  secretParameter(name: string): string;
  /** Where the alerter reads the Slack incoming-webhook URL. */
  slackWebhookParameter: string;
}

export const PROJECT = "data-flows";

/** The SSM parameter holding a secret in an environment, e.g. `/DataFlows/Dev/DBT_CLOUD_TOKEN`. */
export function secretParameterName(ssmEnvironment: string, name: string): string {
  return `/DataFlows/${ssmEnvironment}/${name}`;
}

/** The names of an environment: `environmentNames("dev", "Dev")`. */
export function environmentNames(environment: string, ssmEnvironment: string): EnvironmentNames {
  const prefix = `${PROJECT}-${environment}`;
  const secretParameter = (name: string) => secretParameterName(ssmEnvironment, name);
  return {
    environment,
    ssmEnvironment,
    prefix,
    cluster: prefix,
    imageRepository: (image) => `${prefix}${FLOW_IMAGES[image].repositorySuffix}`,
    runsTable: `${prefix}-runs`,
    eventBus: prefix,
    scheduleGroup: prefix,
    retryScheduleGroup: `${prefix}-retries`,
    functionName: (name) => `${prefix}-${name}`,
    taskFamily: (flow) => `${prefix}-${flow}`,
    flowLogGroup: (flow) => `/${PROJECT}/${environment}/flows/${flow}`,
    flowLogStreamPrefix: (flow) => flow,
    flowLogStream: (flow, taskId) => `${flow}/${FLOW_CONTAINER_NAME}/${taskId}`,
    secretParameter,
    slackWebhookParameter: secretParameter("SLACK_WEBHOOK_URL"),
  };
}

/** The id at the end of a task ARN (`…:task/<cluster>/<id>`): CloudWatch streams and local log files use it. */
export function taskIdOf(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf("/") + 1);
}
