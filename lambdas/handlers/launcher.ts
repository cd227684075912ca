import type { Logger } from "@aws-lambda-powertools/logger";
import type { createLauncher } from "../core/launch-run";
import { parseLaunchCommand } from "./launch-command-schema";

export interface LauncherResult {
  status: string;
  runId?: string;
  attempt?: number;
  state?: string;
  runs?: string[];
}

/**
 * Starts runs. Input: a command (`schedule` from EventBridge Scheduler, `manual` from the CLI, `retry`, `redrive` from
 * retry schedules and the reaper) or a `Flow Run State Change` success from the bus, which starts the flows downstream.
 */
export function createLauncherHandler(deps: { launch: ReturnType<typeof createLauncher>; logger: Logger }) {
  return async (event: unknown): Promise<LauncherResult> => {
    const command = parseLaunchCommand(event);
    if (command.kind === "upstream") {
      const outcomes = await deps.launch(command);
      deps.logger.info("downstream launched", {
        upstream: command.change.runId,
        runs: outcomes.map((outcome) => `${outcome.run.runId} ${outcome.status}`),
      });
      return { status: "downstream", runs: outcomes.map((outcome) => outcome.run.runId) };
    }
    deps.logger.appendKeys({ flow: command.flow, command: command.kind });
    const [outcome] = await deps.launch(command);
    const { runId, attempt, state } = outcome!.run;
    deps.logger.info(`launch ${outcome!.status}`, {
      runId,
      attempt,
      state,
      ...("reason" in outcome! && { reason: outcome.reason }),
    });
    return { status: outcome!.status, runId, attempt, state };
  };
}
