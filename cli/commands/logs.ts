import type { Run } from "../../lambdas/core/run";
import { isTerminal, RunState } from "../../contracts/run-states";
import { parsePositiveInteger, parseSince } from "../arguments";
import { EXIT } from "../context";
import { CliError } from "../errors";
import { attemptEnded, RunLogFollower, taskOfAttempt } from "../log-follower";
import { followRun } from "../wait-for-run";
import type { Command } from "commander";
import type { CliContext } from "../context";

interface LogsOptions {
  attempt?: number;
  follow?: boolean;
  since?: (now: Date) => Date;
  json?: boolean;
}

/**
 * `logs <runId>`: the log lines of one attempt's task, locally from its file and in AWS from its CloudWatch stream;
 * with `--follow`, as the flow writes them until the attempt has ended.
 */
export function registerLogs(program: Command, cli: CliContext): void {
  program
    .command("logs")
    .description("print the log lines of a run's task (its current attempt unless --attempt)")
    .argument("<runId>", "run id, e.g. hello-world/20260302T1000Z")
    .option("--attempt <n>", "which attempt's task (default: the run's current attempt)", parsePositiveInteger)
    .option(
      "-f, --follow",
      "print lines as the flow writes them until the attempt ends; exit 1 unless the run SUCCEEDED",
    )
    .option(
      "--since <when>",
      "only lines from then on: a duration back from now (10m, 2h, 1d) or an ISO time",
      parseSince,
    )
    .option("--json", "print JSON lines: { runId, attempt, taskId, timestamp?, message } per log line")
    .action(async (runId: string, options: LogsOptions) => {
      const target = cli.connect();
      const run = await target.runs.get(runId);
      if (!run) throw new CliError(`no run ${runId}`);
      const attempt = options.attempt ?? run.attempt;
      if (attempt > run.attempt && isTerminal(run.state)) {
        throw new CliError(`${runId} ended ${run.state} on attempt ${run.attempt}: it has no attempt ${attempt}`);
      }
      if (!options.follow && !taskOfAttempt(run, attempt)) {
        throw new CliError(
          attemptEnded(run, attempt)
            ? noTask(run, attempt)
            : `attempt ${attempt} of ${runId} has no task yet (the run is ${run.state}, on attempt ${run.attempt}); ` +
                "--follow waits for it",
        );
      }
      if (options.attempt === undefined && run.attempt > 1) {
        const earlier = Array.from({ length: run.attempt - 1 }, (_, index) => `--attempt ${index + 1}`);
        cli.io.err(`these are attempt ${run.attempt}'s lines; earlier attempts have their own: ${earlier.join(", ")}`);
      }
      const since = options.since?.(cli.io.now());
      const follower = new RunLogFollower({
        reader: target.logs,
        runId,
        flow: run.flow,
        attempt,
        oneAttempt: true,
        ...(since && { since }),
        now: cli.io.now,
        print: (line) => cli.io.out(options.json ? JSON.stringify(line) : line.message),
      });
      if (!options.follow) {
        await follower.catchUp(run);
        return;
      }
      const last = await followRun(cli, target.runs, {
        runId,
        startedState: run.state,
        timeoutMinutes: cli.registry.get(run.flow)?.timeoutMinutes,
        resume: `logs ${runId} --attempt ${attempt}`,
        pollMs: target.logs.pollMs,
        onRead: async (current) => {
          await follower.catchUp(current);
          return attemptEnded(current, attempt);
        },
      });
      await follower.finish(last, cli.io.sleep);
      if (!taskOfAttempt(last, attempt)) cli.io.err(noTask(last, attempt));
      else if (last.attempt > attempt) {
        cli.io.err(
          `attempt ${attempt} has ended; ${runId} is on attempt ${last.attempt} (${last.state}): ` +
            `\`data-flows logs ${runId} --follow\` follows it`,
        );
      }
      if (last.state !== RunState.SUCCEEDED) cli.exitWith(EXIT.runNotSucceeded);
    });
}

/** An attempt that ended without ever getting a task (its launch failed): it has nothing to show. */
function noTask(run: Run, attempt: number): string {
  const ending = [...run.history].reverse().find((entry) => entry.attempt === attempt);
  const how = ending ? ` (${ending.state}${ending.reason ? `: ${ending.reason}` : ""})` : "";
  return `attempt ${attempt} of ${run.runId} ended without a task${how}, so it has no log`;
}
