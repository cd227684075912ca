import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadRegistry } from "../flows/index";
import type { FlowRegistry } from "../flows/registry/flow-registry";
import { loadRegistryOrReport } from "../flows/registry/flow-registry";
import { nextFireTimes, scheduleSpecOf } from "../flows/registry/schedule";
import type { Run } from "../lambdas/core/run";
import { isRunState, RUN_STATES, RunState } from "../lambdas/core/run-state";
import { formatRunChange } from "../local/console-reporter";
import { clusterArnOf } from "../local/ecs-events";
import { LOCAL_ENVIRONMENT } from "../local/local-environment";
import { environments } from "../.aws/config";
import { connectAws } from "./aws-target";
import { CliError, explainError } from "./errors";
import { runDetails, runRows, table } from "./format";
import type { Target } from "./local-target";
import { connectLocal } from "./local-target";
import { replayEvents } from "./replay-events";
import { waitForRun } from "./wait-for-run";

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
}

/**
 * Exit codes: 0 done; 1 a waited-for run did not succeed, replayed events were rejected, or the flow definitions are
 * invalid; 2 usage or an error the command reports in one line.
 */
const EXIT = { ok: 0, runNotSucceeded: 1, error: 2 } as const;
const REPOSITORY_ROOT = resolve(__dirname, "..");

/**
 * How long `run --wait` waits for a run that has stopped changing past its attempt's deadline (or its due retry):
 * the reaper (every 5 minutes in AWS, 15 s locally) ends a run that overstays its deadline, so this is one pass and a
 * margin.
 */
const QUIET_GRACE_MS = 10 * 60_000;
/** The longest backoff before a retry (`lambdas/core/retry-policy.ts` caps it at 15 minutes). */
const MAX_RETRY_BACKOFF_MINUTES = 15;

/** The longest a run can legitimately take: each attempt to its timeout, the longest backoff before each, a margin. */
function followBudgetMs(timeoutMinutes: number, attempts: number): number {
  return (attempts * (timeoutMinutes + MAX_RETRY_BACKOFF_MINUTES) + 15) * 60_000;
}

/** Runs the `data-flows` command with `argv` (the words after the command name) and returns its exit code. */
export async function runCli(argv: readonly string[], io: CliIo, load: () => FlowRegistry): Promise<number> {
  const registry = loadRegistryOrReport(load, io.err);
  if (!registry) return EXIT.runNotSucceeded;
  let exitCode: number = EXIT.ok;
  const targets: Target[] = [];
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
    const target =
      env === "local" ? connectLocal(resolve(dataDir)) : connectAws(environments[env as keyof typeof environments]);
    targets.push(target);
    return target;
  };
  const print = (json: boolean | undefined, value: unknown, lines: () => string[]) => {
    if (json) io.out(JSON.stringify(value, null, 2));
    else lines().forEach((line) => io.out(line));
  };

  program
    .command("flows")
    .description("list the flows in the registry with their schedules and next fire times")
    .option("--json", "print JSON")
    .action((options: { json?: boolean }) => {
      const flows = registry.flows.map((flow) => ({
        name: flow.name,
        owner: flow.owner,
        schedule: flow.schedule?.cron ?? (flow.schedule?.rate ? `rate ${flow.schedule.rate}` : null),
        timezone: flow.schedule?.timezone ?? null,
        enabled: flow.schedule?.enabled ?? false,
        nextFire: flow.schedule?.enabled
          ? nextFireTimes(scheduleSpecOf(flow.schedule), flow.schedule.timezone, io.now(), 1)[0]!.toISOString()
          : null,
      }));
      print(options.json, flows, () =>
        table(
          ["NAME", "SCHEDULE", "TIMEZONE", "NEXT FIRE (UTC)", "OWNER"],
          registry.flows.map((flow, index) => [
            flow.name,
            flow.schedule ? `${flows[index]!.schedule}${flow.schedule.enabled ? "" : " (disabled)"}` : "manual only",
            flow.schedule?.timezone ?? "",
            flows[index]!.nextFire?.slice(0, 16).replace("T", " ") ?? "",
            flow.owner,
          ]),
        ),
      );
    });

  program
    .command("run")
    .description("start a run of a flow now")
    .argument("<flow>", "flow name")
    .option("-p, --param <key=value>", "a run parameter (repeatable), overriding the flow's default", collectParam, {})
    .option("--wait", "follow the run until it ends; exit 1 unless it SUCCEEDED")
    .option("--json", "print JSON")
    .action(async (flowName: string, options: { param: Record<string, string>; wait?: boolean; json?: boolean }) => {
      const flow = registry.require(flowName);
      const target = connect();
      const started = (await target.invokeLauncher({ kind: "manual", flow: flow.name, params: options.param })) as {
        runId: string;
        state: string;
      };
      if (!options.wait) {
        print(options.json, started, () => [`started ${started.runId} (${started.state})`]);
        return;
      }
      if (!options.json) io.out(`started ${started.runId}`);
      const { env } = program.opts<{ env: string }>();
      const run = await waitForRun({
        runs: target.runs,
        runId: started.runId,
        startedState: started.state,
        quietGraceMs: QUIET_GRACE_MS,
        capMs: (current) => followBudgetMs(flow.timeoutMinutes, current.maxAttempts),
        lostContact: (lastState) =>
          env === "local"
            ? `the local control plane stopped while following ${started.runId}; it was ${lastState} when last ` +
              `seen; start it again and run \`data-flows show ${started.runId}\``
            : `lost contact with ${env} while following ${started.runId}; it was ${lastState} when last seen; ` +
              `run \`data-flows --env ${env} show ${started.runId}\``,
        pollMs: 250,
        sleep: io.sleep,
        now: io.now,
        onTransition: (entry) => {
          if (options.json) return;
          const reason = entry.state === RunState.SUCCEEDED ? "" : (entry.reason ?? "");
          const facts = [entry.exitCode !== undefined ? `exit ${entry.exitCode}` : "", reason].filter(Boolean);
          io.out(`  ${entry.at.slice(11, 19)}  ${entry.state}${facts.length ? `  (${facts.join("; ")})` : ""}`);
        },
      });
      print(options.json, run, () => [
        `${run.runId} ended ${run.state}${run.exitCode !== undefined ? ` with exit code ${run.exitCode}` : ""}`,
      ]);
      if (run.state !== RunState.SUCCEEDED) exitCode = EXIT.runNotSucceeded;
    });

  program
    .command("runs")
    .description("list recent runs, newest first")
    .option("--flow <flow>", "only this flow's runs")
    .addOption(new Option("--state <state>", "only runs in this state").choices(RUN_STATES))
    .option("--limit <n>", "at most this many runs", parsePositiveInteger, 20)
    .option("--json", "print JSON")
    .action(async (options: { flow?: string; state?: string; limit: number; json?: boolean }) => {
      const flows = options.flow ? [registry.require(options.flow).name] : registry.names;
      const state = options.state && isRunState(options.state) ? options.state : undefined;
      const target = connect();
      const perFlow = await Promise.all(
        flows.map((flow) => target.runs.listByFlow(flow, { limit: options.limit, ...(state && { state }) })),
      );
      const runs = perFlow
        .flat()
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
        .slice(0, options.limit);
      print(options.json, runs, () => (runs.length ? runRows(runs, io.now()) : ["no runs yet"]));
    });

  program
    .command("show")
    .description("show one run and its history")
    .argument("<runId>", "run id, e.g. hello-world/20260302T1000Z")
    .option("--json", "print JSON")
    .action(async (runId: string, options: { json?: boolean }) => {
      const run: Run | undefined = await connect().runs.get(runId);
      if (!run) throw new CliError(`no run ${runId}`);
      print(options.json, run, () => runDetails(run, io.now()));
    });

  program
    .command("events")
    .description("work with ECS Task State Change events")
    .command("replay")
    .description("feed ECS events (one JSON per line) through the recorder against the local runs table")
    .argument("<file>", "JSON Lines file of EventBridge ECS Task State Change events")
    .option("--cluster <arn>", "the cluster whose events may move runs", clusterArnOf(LOCAL_ENVIRONMENT.cluster))
    .option("--json", "print JSON")
    .action(async (file: string, options: { cluster: string; json?: boolean }) => {
      // Replaying rewrites run history: never against a deployed environment's table.
      if (program.opts<{ env: string }>().env !== "local")
        throw new CliError("events replay works on the local control plane only");
      const text = readText(file);
      const summary = await replayEvents({
        text,
        registry,
        runs: connect().runs,
        clusterArn: options.cluster,
        events: { publish: async (change) => void (options.json || io.out(formatRunChange(change, false))) },
        onRetry: (retry, at) =>
          void (
            options.json || io.out(`  (attempt ${retry.attempt} of ${retry.runId} would start at ${at.toISOString()})`)
          ),
        onStrayTask: (taskArn, reason) => void (options.json || io.out(`  (${taskArn} would be stopped: ${reason})`)),
      });
      print(options.json, summary, () => [
        ...summary.outcomes
          .filter((entry) => entry.error)
          .map((entry) => `line ${entry.line}: rejected: ${entry.error}`),
        `replayed: ${
          Object.entries(summary.counts)
            .map(([key, count]) => `${key} ${count}`)
            .join(", ") || "no events"
        }`,
      ]);
      if (summary.counts.rejected) exitCode = EXIT.runNotSucceeded;
    });

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
    targets.forEach((target) => target.close());
  }
}

/** A file's text, or a one-line error naming what is wrong with it. */
function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      { ENOENT: "no such file", EACCES: "permission denied", EISDIR: "it is a folder" }[code ?? ""] ??
      String((error as Error).message);
    throw new CliError(`cannot read ${file}: ${why}`);
  }
}

function collectParam(value: string, previous: Record<string, string>): Record<string, string> {
  const separator = value.indexOf("=");
  if (separator < 1) throw new InvalidArgumentError(`expected key=value, got "${value}"`);
  return { ...previous, [value.slice(0, separator)]: value.slice(separator + 1) };
}

function parsePositiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError("expected a positive whole number");
  return parsed;
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
    },
    loadRegistry,
  );
}

if (require.main === module) void main();
