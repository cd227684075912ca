import { Command, CommanderError, Option } from "commander";
import { join, resolve } from "node:path";
import { loadRegistry } from "../flows/index";
import type { FlowRegistry } from "../flows/registry/flow-registry";
import { loadRegistryOrReport } from "../flows/registry/flow-registry";
import { environments } from "../.aws/config";
import { connectAws } from "./aws-target";
import { registerBackfill } from "./commands/backfill";
import { registerCancel } from "./commands/cancel";
import { registerEvents } from "./commands/events";
import { registerFlows } from "./commands/flows";
import { registerLogs } from "./commands/logs";
import { registerPause } from "./commands/pause";
import { registerRerun } from "./commands/rerun";
import { registerRun } from "./commands/run";
import { registerRuns } from "./commands/runs";
import { registerShow } from "./commands/show";
import { registerUi } from "./commands/ui";
import type { CliContext, CliIo } from "./context";
import { EXIT } from "./context";
import { explainError } from "./errors";
import type { Target } from "./local-target";
import { connectLocal } from "./local-target";
import { operatorName } from "./operator";

export type { CliIo } from "./context";

/** The commands, in the order `--help` lists them. */
const COMMANDS: readonly ((program: Command, cli: CliContext) => void)[] = [
  registerFlows,
  registerRun,
  registerRerun,
  registerBackfill,
  registerRuns,
  registerShow,
  registerLogs,
  registerCancel,
  registerPause,
  registerEvents,
  registerUi,
];
const REPOSITORY_ROOT = resolve(__dirname, "..");

/** Runs the `data-flows` command with `argv` (the words after the command name) and returns its exit code. */
export async function runCli(argv: readonly string[], io: CliIo, load: () => FlowRegistry): Promise<number> {
  const registry = loadRegistryOrReport(load, io.err);
  if (!registry) return EXIT.runNotSucceeded;
  let exitCode: number = EXIT.ok;
  let target: Target | undefined;
  const program = new Command("data-flows")
    .description("Run and inspect data flows, locally (`npm start`) or in a deployed environment (--env).")
    .addOption(
      new Option("--env <env>", "where: the local control plane, or a deployed environment (AWS credentials needed)")
        .choices(["local", ...Object.keys(environments)])
        .default("local"),
    )
    .option(
      "--data-dir <dir>",
      "the local control plane's data folder",
      io.env.DATA_FLOWS_DATA_DIR ?? join(REPOSITORY_ROOT, ".data"),
    )
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text.trimEnd()), writeErr: (text) => io.err(text.trimEnd()) });
  const connect = (): Target => {
    const { env, dataDir } = program.opts<{ env: string; dataDir: string }>();
    target ??=
      env === "local" ? connectLocal(resolve(dataDir)) : connectAws(environments[env as keyof typeof environments]);
    return target;
  };

  const cli: CliContext = {
    registry,
    io,
    env: () => program.opts<{ env: string }>().env,
    connect,
    operator: () => ({
      launcher: { invoke: (command) => connect().launcher.invoke(command) },
      registry,
      name: operatorName(io.env),
    }),
    print: (json, value, lines) => {
      if (json) io.out(JSON.stringify(value, null, 2));
      else lines().forEach((line) => io.out(line));
    },
    exitWith: (code) => void (exitCode = code),
  };
  for (const register of COMMANDS) register(program, cli);

  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.error;
    // Whatever can be foreseen (a control plane not running, no credentials, access denied) is one line, never a stack.
    const explained = explainError(error, program.opts<{ env: string }>().env);
    if (explained !== undefined) {
      io.err(`data-flows: ${explained}`);
      return EXIT.error;
    }
    throw error;
  } finally {
    target?.close();
  }
}

/** The process entry: `bin/data-flows.js` and `npm run cli` call this. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  // Lambdas run on nodejs22.x; the SDK's notice about Node 20 is noise for a local tool.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  process.exitCode = await runCli(
    argv,
    {
      out: (line) => console.log(line),
      err: (line) => console.error(line),
      env: process.env,
      now: () => new Date(),
      sleep: (ms) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms)),
      progress: process.stderr,
    },
    loadRegistry,
  );
}

if (require.main === module) void main();
