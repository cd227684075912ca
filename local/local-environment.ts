import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
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

/** Where task logs live in the data folder, as CloudWatch log groups hold them in AWS. */
export function localLogsDir(dataDir: string): string {
  return join(dataDir, "logs");
}

/** One task's log file, `<logsDir>/<flow>/<taskId>.log`: the local counterpart of its CloudWatch stream. */
export function localTaskLogFile(logsDir: string, flow: string, taskId: string): string {
  return join(logsDir, flow, `${taskId}.log`);
}

/** Where a running `npm start` can be reached; the CLI reads it from the data folder. */
export interface LocalEndpoints {
  apiUrl: string;
  dynamoEndpoint: string;
  /** The invoke API's per-start secret, sent as `x-data-flows-token`: only a reader of this file can start runs. */
  token: string;
  pid: number;
}

const ENDPOINTS_FILE = "local.json";

/**
 * Writes the endpoints file readable by its owner only (0600), whatever an earlier file's mode was: written to a
 * temporary file created 0600, then renamed over the old one.
 */
export function writeLocalEndpoints(dataDir: string, endpoints: LocalEndpoints): string {
  const path = join(dataDir, ENDPOINTS_FILE);
  const temporary = `${path}.${process.pid}.tmp`;
  rmSync(temporary, { force: true });
  writeFileSync(temporary, `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  chmodSync(temporary, 0o600); // in case the umask took bits away that 0600 needs
  renameSync(temporary, path);
  return path;
}

/** The endpoints of the running local control plane, or undefined when none is running. */
export function readLocalEndpoints(dataDir: string): LocalEndpoints | undefined {
  let endpoints: Partial<LocalEndpoints>;
  try {
    endpoints = JSON.parse(readFileSync(join(dataDir, ENDPOINTS_FILE), "utf8")) as Partial<LocalEndpoints>;
  } catch {
    return undefined;
  }
  const { apiUrl, dynamoEndpoint, token, pid } = endpoints;
  if (typeof apiUrl !== "string" || typeof dynamoEndpoint !== "string" || typeof token !== "string") return undefined;
  if (typeof pid !== "number" || !Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return { apiUrl, dynamoEndpoint, token, pid };
  } catch {
    return undefined; // left behind by a control plane that was killed
  }
}
