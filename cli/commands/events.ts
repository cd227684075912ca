import { clusterArnOf } from "../../local/ecs-events";
import { LOCAL_ENVIRONMENT } from "../../local/local-environment";
import { formatRunChange } from "../../local/console-reporter";
import { EXIT } from "../context";
import { CliError } from "../errors";
import { readText } from "../read-text";
import { replayEvents } from "../replay-events";
import type { Command } from "commander";
import type { CliContext } from "../context";

/** `events replay <file>`: ECS events fed through the recorder against the local runs table. */
export function registerEvents(program: Command, cli: CliContext): void {
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
      if (cli.env() !== "local") throw new CliError("events replay works on the local control plane only");
      const text = readText(file);
      const target = cli.connect();
      const summary = await replayEvents({
        text,
        registry: cli.registry,
        runs: target.runs,
        flowState: target.flowState,
        clusterArn: options.cluster,
        events: { publish: async (change) => void (options.json || cli.io.out(formatRunChange(change, false))) },
        onRetry: (retry, at) =>
          void (
            options.json ||
            cli.io.out(`  (attempt ${retry.attempt} of ${retry.runId} would start at ${at.toISOString()})`)
          ),
        onStrayTask: (taskArn, reason) =>
          void (options.json || cli.io.out(`  (${taskArn} would be stopped: ${reason})`)),
      });
      cli.print(options.json, summary, () => [
        ...summary.outcomes
          .filter((entry) => entry.error)
          .map((entry) => `line ${entry.line}: rejected: ${entry.error}`),
        `replayed: ${
          Object.entries(summary.counts)
            .map(([key, count]) => `${key} ${count}`)
            .join(", ") || "no events"
        }`,
      ]);
      if (summary.counts.rejected) cli.exitWith(EXIT.runNotSucceeded);
    });
}
