import { ESLint } from "eslint";
import { join, resolve } from "node:path";
import tseslint from "typescript-eslint";

// The architecture's import rules (eslint.boundaries.js), checked against deliberate violations: each must be refused.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { boundaries } = require("../../eslint.boundaries") as { boundaries: object };
const ROOT = resolve(__dirname, "..", "..");

async function problems(file: string, source: string): Promise<string[]> {
  const eslint = new ESLint({
    cwd: ROOT,
    overrideConfigFile: true,
    overrideConfig: [{ files: ["**/*.ts"], languageOptions: { parser: tseslint.parser } }, boundaries as never],
  });
  // The file is linted as if it stood at that path; nothing is written.
  const [result] = await eslint.lintText(source, { filePath: join(ROOT, file) });
  return result!.messages.map((message) => `${message.ruleId}: ${message.message}`);
}

describe("folder boundaries", () => {
  it.each([
    ["flows/runtime/probe.ts", 'import { RunState } from "../../lambdas/core/run-state";', /flow image/],
    ["lambdas/core/probe.ts", 'import { DynamoRunStore } from "../adapters/dynamo-run-store";', /pure domain/],
    ["lambdas/core/probe.ts", 'import { LOCAL_ENVIRONMENT } from "../../local/local-environment";', /pure domain/],
    ["lambdas/core/probe.ts", 'import { environments } from "../../.aws/config";', /pure domain/],
    ["lambdas/handlers/probe.ts", 'import { awsPorts } from "../aws/aws-ports";', /composition root/],
    ["lambdas/adapters/probe.ts", 'import { runCli } from "../../cli/main";', /deployed alone/],
    ["contracts/probe.ts", 'import { RunState } from "../lambdas/core/run-state";', /depends on nothing/],
    [".aws/probe.ts", 'import { DynamoRunStore } from "../lambdas/adapters/dynamo-run-store";', /never import/],
    [".aws/probe.ts", 'import { isTerminal } from "../lambdas/core/run-state";', /never import/],
    ["bundling/probe.ts", 'import { environments } from "../.aws/config";', /uses none of them/],
    ["local/probe.ts", 'import { runCli } from "../cli/main";', /stands alone/],
  ])("refuses %s importing across a boundary: %s", async (file, source, reason) => {
    const found = await problems(file, source);
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((problem) => problem.startsWith("import-x/no-restricted-paths: "))).toBe(true);
    expect(found.some((problem) => reason.test(problem))).toBe(true);
  });

  it.each([
    ["lambdas/core/probe.ts", 'import { TaskEnv } from "../../contracts/task-environment";'],
    ["lambdas/core/probe.ts", 'import type { FlowRegistry } from "../../flows/registry/flow-registry";'],
    ["flows/runtime/probe.ts", 'import { ExitCode } from "../../contracts/exit-codes";'],
    [".aws/probe.ts", 'import { eventRoutes } from "../contracts/event-routes";'],
    [".aws/probe.ts", 'import { bundleLambdas } from "../bundling/bundle-lambdas";'],
  ])("allows %s to import %s", async (file, source) => {
    expect(await problems(file, source)).toEqual([]);
  });
});
