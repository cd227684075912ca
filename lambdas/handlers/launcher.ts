import type { Logger } from "@aws-lambda-powertools/logger";
import type { createLauncher, FlowOutcome, LaunchOutcome } from "../core/launch-run";
import type { Backfill, FlowPause } from "../core/ports";
import { parseLaunchCommand } from "./launch-command-schema";

export interface LauncherResult {
  status: string;
  flow?: string;
  pause?: FlowPause;
  backfill?: Backfill;
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
    // One invocation, one command: keys appended for the last must not label this one.
    deps.logger.removeKeys(["command", "flow"]);
    const command = parseLaunchCommand(event);
    if (command.kind === "run-changed") {
      const outcomes = await deps.launch(command);
      const runs = outcomes.filter(isRunOutcome).map((outcome) => outcome.run.runId);
      const launched = outcomes.flatMap((outcome) => ("launched" in outcome ? outcome.launched : []));
      deps.logger.info("run change followed", { change: command.change.runId, downstream: runs, backfill: launched });
      return { status: "followed", runs: [...runs, ...launched] };
    }
    deps.logger.appendKeys({ command: command.kind, ...("flow" in command && { flow: command.flow }) });
    const [outcome] = await deps.launch(command);
    if ("backfill" in outcome!) {
      deps.logger.info(outcome.status, { backfillId: outcome.backfill.backfillId, launched: outcome.launched });
      return { status: outcome.status, backfill: outcome.backfill, runs: outcome.launched };
    }
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
