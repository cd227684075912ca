import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { GetFunctionUrlConfigCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import type { EnvironmentConfig } from "../.aws/config";
import { namesOf } from "../.aws/config";
import { createDocumentClient } from "../lambdas/adapters/dynamo-client";
import { runsTableStores } from "../lambdas/adapters/runs-table-stores";
import { CloudWatchTaskLogReader } from "./cloudwatch-task-log-reader";
import { CliError } from "./errors";
import { launcherClient } from "./launcher-client";
import type { SignerCredentials } from "./signed-launcher";
import { signedLauncherTransport } from "./signed-launcher";
import { once } from "../lambdas/lazy";
import type { Target } from "./local-target";

/**
 * A deployed environment, reached with the caller's AWS credentials: runs are read from its table, task logs from the
 * flows' CloudWatch log streams, and commands are sent to the launcher's URL, IAM-signed, so the run history records
 * who sent them (the principal the URL authenticated).
 */
export function connectAws(
  config: EnvironmentConfig,
  lambda = new LambdaClient({ region: config.region }),
  cloudWatchLogs = new CloudWatchLogsClient({ region: config.region }),
  credentials: SignerCredentials = defaultProvider(),
): Target {
  const names = namesOf(config);
  const client = createDocumentClient({ region: config.region });
  const { runs, flowState, backfills } = runsTableStores({
    client,
    tableName: names.runsTable,
    retentionDays: config.runRetentionDays,
    now: () => new Date(),
  });
  const launcherUrl = once(async () => {
    const { FunctionUrl } = await lambda.send(
      new GetFunctionUrlConfigCommand({ FunctionName: names.functionName("launcher") }),
    );
    if (!FunctionUrl)
      throw new CliError(`${config.environment}: the launcher has no URL (is ${config.environment} deployed?)`);
    return FunctionUrl;
  });
  return {
    dynamoEndpoint: `dynamodb.${config.region}.amazonaws.com/${names.runsTable}`,
    runs,
    flowState,
    backfills,
    logs: new CloudWatchTaskLogReader({ client: cloudWatchLogs, names }),
    launcher: launcherClient(
      signedLauncherTransport({
        url: launcherUrl,
        region: config.region,
        credentials,
        forbidden: `access denied in ${config.environment}: sending commands needs the ${names.prefix}-operator policy (the stack's operator_policy_arn output)`,
        // The launcher's reserved concurrency is small on purpose (RunTask's rate): a burst of fires can fill it.
        busy: `${config.environment} is busy starting runs (its launcher is at its reserved concurrency): try again in a minute`,
      }),
    ),
    close: () => {
      client.destroy();
      lambda.destroy();
      cloudWatchLogs.destroy();
    },
  };
}
