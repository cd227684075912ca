import { DynamoRunStore } from "../lambdas/adapters/dynamo-run-store";
import type { RunStore } from "../lambdas/core/ports";
import { localDocumentClient } from "../local/dynalite-server";
import { LOCAL_ENVIRONMENT, readLocalEndpoints } from "../local/local-environment";

/** What the CLI needs of an environment: its runs and a way to invoke its launcher. */
export interface Target {
  runs: RunStore;
  dynamoEndpoint: string;
  invokeLauncher(payload: unknown): Promise<unknown>;
  close(): void;
}

/** An error the CLI reports as one line, with exit code 2, and no stack trace. */
export class CliError extends Error {
  override name = "CliError";
}

/** The local control plane started by `npm start`, reached over 127.0.0.1 as the AWS one is reached over HTTPS. */
export function connectLocal(dataDir: string): Target {
  const endpoints = readLocalEndpoints(dataDir);
  if (!endpoints)
    throw new CliError("the local control plane is not running: start it with `npm start` in another terminal");
  const client = localDocumentClient(endpoints.dynamoEndpoint);
  return {
    dynamoEndpoint: endpoints.dynamoEndpoint,
    runs: new DynamoRunStore({
      client,
      tableName: LOCAL_ENVIRONMENT.names.runsTable,
      retentionDays: LOCAL_ENVIRONMENT.retentionDays,
    }),
    async invokeLauncher(payload) {
      const response = await fetch(`${endpoints.apiUrl}/functions/launcher/invocations`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(payload),
      });
      const body = (await response.json()) as { errorType?: string; errorMessage?: string };
      if (!response.ok) throw new CliError(`launcher: ${body.errorMessage ?? response.statusText}`);
      return body;
    },
    close: () => client.destroy(),
  };
}
