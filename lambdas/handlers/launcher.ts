import type { Logger } from "@aws-lambda-powertools/logger";
import type { createLauncher, FlowOutcome, LaunchOutcome } from "../core/launch-run";
import type { FlowPause } from "../core/ports";
import { parseLaunchCommand } from "./launch-command-schema";

export interface LauncherResult {
  status: string;
  flow?: string;
  pause?: FlowPause;
  runId?: string;
  attempt?: number;
  state?: string;
  runs?: string[];
}

/**
 * Starts runs. Input: a command (`schedule` from EventBridge Scheduler, `manual`, `cancel`, `pause`, `resume` from
 * the CLI, `retry`, `redrive` from retry schedules and the reaper) or a `Flow Run State Change` success from the bus,
 * which starts the flows downstream.
 */
export function createLauncherHandler(deps: { launch: ReturnType<typeof createLauncher>; logger: Logger }) {
  return async (event: unknown): Promise<LauncherResult> => {
    const command = parseLaunchCommand(event);
    if (command.kind === "upstream") {
      const runs = (await deps.launch(command)).filter(isRunOutcome);
      deps.logger.info("downstream launched", {
        upstream: command.change.runId,
        runs: runs.map((outcome) => `${outcome.run.runId} ${outcome.status}`),
      });
      return { status: "downstream", runs: runs.map((outcome) => outcome.run.runId) };
    }
    deps.logger.appendKeys({ flow: command.flow, command: command.kind });
    const [outcome] = await deps.launch(command);
    if (!isRunOutcome(outcome!)) {
      const pause = "pause" in outcome! ? { pause: outcome.pause } : {};
      deps.logger.info(`flow ${outcome!.status}`, pause);
      return { status: outcome!.status, flow: outcome!.flow, ...pause };
    }
    const { runId, attempt, state } = outcome.run;
    deps.logger.info(`launch ${outcome.status}`, {
      runId,
      attempt,
      state,
      ...("reason" in outcome && { reason: outcome.reason }),
    });
    return { status: outcome.status, runId, attempt, state };
  };
}

function isRunOutcome(outcome: LaunchOutcome | FlowOutcome): outcome is LaunchOutcome {
  return "run" in outcome;
}
