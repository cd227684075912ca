import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { environmentNames } from "../contracts/resource-names";
import type { LocalCluster } from "./ecs-events";

const names = environmentNames("local", "Local");

/** The local environment: the counterpart of one stack's config, with the same resource names an AWS one has. */
export const LOCAL_ENVIRONMENT = {
  names,
  cluster: { region: "local", account: "000000000000", name: names.cluster } satisfies LocalCluster,
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
