import { runsTableStores } from "../lambdas/adapters/runs-table-stores";
import type { BackfillStore, FlowStateStore, RunStore } from "../lambdas/core/ports";
import { localDocumentClient } from "../local/dynalite-server";
import { TOKEN_HEADER } from "../local/invoke-api";
import { LOCAL_ENVIRONMENT, localLogsDir, readLocalEndpoints } from "../local/local-environment";
import { CliError, isUnreachable, LOCAL_NOT_RUNNING } from "./errors";
import type { LauncherClient } from "./launcher-client";
import { launcherClient } from "./launcher-client";
import { LocalTaskLogReader } from "./local-task-log-reader";
import type { TaskLogReader } from "./task-log-reader";

/** What the CLI needs of an environment: its runs, its tasks' logs and a way to invoke its launcher. */
export interface Target {
  runs: RunStore;
  /** The flows' pauses and watermarks. */
  flowState: FlowStateStore;
  backfills: BackfillStore;
  logs: TaskLogReader;
  dynamoEndpoint: string;
  launcher: LauncherClient;
  close(): void;
}

/** The local control plane started by `npm start`, reached over 127.0.0.1 as the AWS one is reached over HTTPS. */
export function connectLocal(dataDir: string): Target {
  const endpoints = readLocalEndpoints(dataDir);
  if (!endpoints) throw new CliError(LOCAL_NOT_RUNNING);
  const client = localDocumentClient(endpoints.dynamoEndpoint);
  const { runs, flowState, backfills } = runsTableStores({
    client,
    tableName: LOCAL_ENVIRONMENT.names.runsTable,
    retentionDays: LOCAL_ENVIRONMENT.retentionDays,
    now: () => new Date(),
  });
  return {
    dynamoEndpoint: endpoints.dynamoEndpoint,
    runs,
    flowState,
    backfills,
    logs: new LocalTaskLogReader(localLogsDir(dataDir)),
    launcher: launcherClient(async (command) => {
      let response: Response;
      try {
        response = await fetch(`${endpoints.apiUrl}/functions/launcher/invocations`, {
          method: "POST",
          // The token from the data folder: what tells the control plane this is not a web page in a browser.
          headers: { "content-type": "application/json", [TOKEN_HEADER]: endpoints.token },
          body: JSON.stringify(command),
        });
      } catch (error) {
        if (isUnreachable(error)) throw new CliError(LOCAL_NOT_RUNNING);
        throw error;
      }
      return {
        ...(!response.ok && { failure: `HTTP ${response.status} ${response.statusText}` }),
        body: await response.text(),
        unreadable: `unexpected answer from ${endpoints.apiUrl} (HTTP ${response.status}): is something else on that port?`,
      };
    }),
    close: () => client.destroy(),
  };
}
