import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LocalCluster } from "./ecs-events";

/** The local environment's names, the counterpart of one stack's config. */
export const LOCAL_ENVIRONMENT = {
  environmentName: "Local",
  cluster: { region: "local", account: "000000000000", name: "data-flows-local" } satisfies LocalCluster,
  tableName: "data-flows-local-runs",
  taskDefinitionPrefix: "data-flows-local-",
  retentionDays: 90,
  defaultApiPort: 4710,
} as const;

/** Where a running `npm start` can be reached; the CLI reads it from the data folder. */
export interface LocalEndpoints {
  apiUrl: string;
  dynamoEndpoint: string;
  pid: number;
}

const ENDPOINTS_FILE = "local.json";

export function writeLocalEndpoints(dataDir: string, endpoints: LocalEndpoints): string {
  const path = join(dataDir, ENDPOINTS_FILE);
  writeFileSync(path, `${JSON.stringify(endpoints, null, 2)}\n`);
  return path;
}

/** The endpoints of the running local control plane, or undefined when none is running. */
export function readLocalEndpoints(dataDir: string): LocalEndpoints | undefined {
  let endpoints: LocalEndpoints;
  try {
    endpoints = JSON.parse(readFileSync(join(dataDir, ENDPOINTS_FILE), "utf8")) as LocalEndpoints;
  } catch {
    return undefined;
  }
  try {
    process.kill(endpoints.pid, 0);
    return endpoints;
  } catch {
    return undefined; // left behind by a control plane that was killed
  }
}
