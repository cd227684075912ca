import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import type { EnvironmentConfig } from "../.aws/config";
import { namesOf } from "../.aws/config";
import { createDocumentClient } from "../lambdas/adapters/dynamo-client";
import { runsTableStores } from "../lambdas/adapters/runs-table-stores";
import { CloudWatchTaskLogReader } from "./cloudwatch-task-log-reader";
import { launcherClient } from "./launcher-client";
import type { Target } from "./local-target";

/**
 * A deployed environment, reached with the caller's AWS credentials: runs are read from its table and started by
 * invoking its launcher function, the same request the local control plane's invoke endpoint takes; task logs are
 * read from the flows' CloudWatch log streams.
 */
export function connectAws(
  config: EnvironmentConfig,
  lambda = new LambdaClient({ region: config.region }),
  cloudWatchLogs = new CloudWatchLogsClient({ region: config.region }),
): Target {
  const names = namesOf(config);
  const client = createDocumentClient({ region: config.region });
  const { runs, flowState, backfills } = runsTableStores({
    client,
    tableName: names.runsTable,
    retentionDays: config.runRetentionDays,
    now: () => new Date(),
  });
  return {
    dynamoEndpoint: `dynamodb.${config.region}.amazonaws.com/${names.runsTable}`,
    runs,
    flowState,
    backfills,
    logs: new CloudWatchTaskLogReader({ client: cloudWatchLogs, names }),
    launcher: launcherClient(async (command) => {
      const { Payload, FunctionError } = await lambda.send(
        new InvokeCommand({
          FunctionName: names.functionName("launcher"),
          InvocationType: "RequestResponse",
          Payload: Buffer.from(JSON.stringify(command)),
        }),
      );
      return {
        ...(FunctionError !== undefined && { failure: FunctionError }),
        body: Buffer.from(Payload ?? []).toString("utf8"),
        unreadable: `launcher ${names.functionName("launcher")} answered with something other than JSON`,
      };
    }),
    close: () => {
      client.destroy();
      lambda.destroy();
      cloudWatchLogs.destroy();
    },
  };
}
