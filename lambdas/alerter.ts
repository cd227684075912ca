import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { SSMClient } from "@aws-sdk/client-ssm";
import { Logger } from "@aws-lambda-powertools/logger";
import { SSMProvider } from "@aws-lambda-powertools/parameters/ssm";
import { z } from "zod";
import { registry } from "../flows/index";
import { CloudWatchTaskLogs } from "./adapters/cloudwatch-task-logs";
import { DynamoAlertMarkers } from "./adapters/dynamo-alert-markers";
import { createDocumentClient } from "./adapters/dynamo-client";
import { DynamoRunStore } from "./adapters/dynamo-run-store";
import { lambdaEntry } from "./adapters/lambda-entry";
import { SlackWebhookNotifier } from "./adapters/slack-webhook-notifier";
import type { createAlertRun } from "./core/alert-run";
import { createAlertRun as buildAlertRun } from "./core/alert-run";
import type { Notifier } from "./core/ports";
import { runStateChangedEventSchema } from "./core/run-events";
import { alarmMessage } from "./core/slack-message";
import { alerterConfigSchema, readConfig } from "./config";

const alarmNotification = z.looseObject({
  Records: z
    .array(z.looseObject({ EventSource: z.literal("aws:sns"), Sns: z.looseObject({ Message: z.string() }) }))
    .min(1),
});
const alarm = z.looseObject({
  AlarmName: z.string(),
  AlarmDescription: z.string().nullish(),
  NewStateValue: z.string(),
  NewStateReason: z.string().optional(),
});

/** An alerter input that is neither a run event nor an SNS alarm notification. */
export class MalformedAlertInputError extends Error {
  override name = "MalformedAlertInputError";
}

/**
 * Posts on-call messages: one per failed attempt from `Flow Run State Change` events, and one per control-plane
 * alarm from SNS. A message that cannot be delivered fails the invocation, so the event is retried and dead-lettered.
 */
export function createAlerterHandler(deps: {
  alertRun: ReturnType<typeof createAlertRun>;
  notifier: Notifier;
  environment: string;
  logger: Logger;
}) {
  return async (event: unknown) => {
    const run = runStateChangedEventSchema.safeParse(event);
    if (run.success) {
      const change = run.data.detail;
      deps.logger.appendKeys({ runId: change.runId, flow: change.flow, attempt: change.attempt });
      const outcome = await deps.alertRun(change);
      deps.logger.info(`alert ${outcome}`, { state: change.to });
      return { outcome };
    }
    const notification = alarmNotification.safeParse(event);
    if (!notification.success)
      throw new MalformedAlertInputError(`not a run event or alarm: ${run.error.issues[0]?.message}`);
    for (const record of notification.data.Records) {
      const parsed = alarm.safeParse(JSON.parse(record.Sns.Message));
      if (!parsed.success) throw new MalformedAlertInputError("SNS message is not a CloudWatch alarm");
      await deps.notifier.post(alarmMessage(deps.environment, parsed.data));
      deps.logger.info("alarm posted", { alarm: parsed.data.AlarmName, state: parsed.data.NewStateValue });
    }
    return { outcome: "posted" };
  };
}

const logger = new Logger({ serviceName: "data-flows-alerter" });

export const handler = lambdaEntry(logger, () => {
  const config = readConfig(alerterConfigSchema, process.env);
  const client = createDocumentClient();
  const ssm = new SSMProvider({ awsSdkV3Client: new SSMClient({}) });
  const notifier = new SlackWebhookNotifier({
    webhookUrl: async () => {
      const url = await ssm.get(config.SLACK_WEBHOOK_PARAMETER, { decrypt: true, maxAge: 300 });
      if (!url) throw new Error(`SSM parameter ${config.SLACK_WEBHOOK_PARAMETER} is empty`);
      return url;
    },
    maxAttempts: 4,
    maxRetryAfterSeconds: 20,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
  const now = () => new Date();
  return createAlerterHandler({
    logger,
    notifier,
    environment: config.ENVIRONMENT,
    alertRun: buildAlertRun({
      registry,
      runs: new DynamoRunStore({ client, tableName: config.RUNS_TABLE_NAME, retentionDays: config.RUN_RETENTION_DAYS }),
      markers: new DynamoAlertMarkers({
        client,
        tableName: config.RUNS_TABLE_NAME,
        retentionDays: config.RUN_RETENTION_DAYS,
        now,
      }),
      notifier,
      logs: new CloudWatchTaskLogs({
        client: new CloudWatchLogsClient({}),
        region: config.AWS_REGION,
        logGroupPrefix: config.FLOW_LOG_GROUP_PREFIX,
      }),
      environment: config.ENVIRONMENT,
    }),
  });
});
