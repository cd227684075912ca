import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A flow's SQL files (`<name>.sql`, in name order). From source they sit beside the flow's code; in the image the
 * Dockerfile copies them under DATA_FLOWS_SQL_DIR, since the bundle has no source tree.
 */
export function readSqlFiles(flow: string): { name: string; sql: string }[] {
  const root = process.env.DATA_FLOWS_SQL_DIR ?? join(__dirname, "..");
  const dir = join(root, flow);
  return readdirSync(dir)
    .filter((name) => name.endsWith(".sql"))
    .sort()
    .map((name) => ({ name, sql: readFileSync(join(dir, name), "utf8") }));
}
