import type { Logger } from "@aws-lambda-powertools/logger";
import * as z from "zod";
import type { AlertOutcome, createAlertRun } from "../core/alert-run";
import type { Invocation, Notifier } from "../core/ports";
import { alarmMessage } from "../core/slack-message";
import { runStateChangedEventSchema } from "../../contracts/run-events";

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
  return async (event: unknown, invocation?: Invocation): Promise<{ outcome: AlertOutcome }> => {
    const run = runStateChangedEventSchema.safeParse(event);
    if (run.success) {
      const change = run.data.detail;
      deps.logger.appendKeys({ runId: change.runId, flow: change.flow, attempt: change.attempt });
      const outcome = await deps.alertRun(change, invocation);
      deps.logger.info(`alert ${outcome}`, { state: change.to });
      return { outcome };
    }
    const notification = alarmNotification.safeParse(event);
    if (!notification.success)
      throw new MalformedAlertInputError(`not a run event or alarm: ${run.error.issues[0]?.message}`);
    for (const record of notification.data.Records) {
      const parsed = alarm.safeParse(parseJson(record.Sns.Message));
      if (!parsed.success) throw new MalformedAlertInputError("SNS message is not a CloudWatch alarm");
      await deps.notifier.post(alarmMessage(deps.environment, parsed.data), invocation ?? {});
      deps.logger.info("alarm posted", { alarm: parsed.data.AlarmName, state: parsed.data.NewStateValue });
    }
    return { outcome: "posted" };
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
