import type { Logger } from "@aws-lambda-powertools/logger";
import type { LaunchCommand, LaunchCommandKind } from "../../contracts/launch-commands";
import type { RunState } from "../../contracts/run-states";
import type { createLauncher, FlowOutcome, LaunchOutcome } from "../core/launch-run";
import type { Backfill, FlowPause } from "../core/ports";
import type { BackfillOutcome } from "../core/run-backfill";
import { parseLaunchCommand } from "./launch-command-schema";

/** The answer to a command about one run: what became of it. */
export interface RunAnswer {
  status: LaunchOutcome["status"];
  runId: string;
  attempt: number;
  state: RunState;
}

/** The answer to a pause or a resume. */
export interface FlowAnswer {
  status: Exclude<FlowOutcome, BackfillOutcome>["status"];
  flow: string;
  pause?: FlowPause;
}

/** The answer to a backfill command: the backfill as it now is, and the runs this call started. */
export interface BackfillAnswer {
  status: BackfillOutcome["status"];
  backfill: Backfill;
  runs: string[];
}

/** The answer to a run change from the bus: the runs it started (downstream flows, a backfill's next slots). */
export interface FollowedAnswer {
  status: "followed";
  runs: string[];
}

/**
 * What the launcher answers each command with: the CLI's and the page's launcher client (`cli/launcher-client.ts`)
 * is typed by it, so a change here fails their compile rather than their parsing.
 */
export interface LauncherAnswers {
  schedule: RunAnswer;
  manual: RunAnswer;
  rerun: RunAnswer;
  retry: RunAnswer;
  redrive: RunAnswer;
  cancel: RunAnswer;
  pause: FlowAnswer;
  resume: FlowAnswer;
  backfill: BackfillAnswer;
  "backfill-advance": BackfillAnswer;
  "backfill-cancel": BackfillAnswer;
  "run-changed": FollowedAnswer;
}
export type LauncherAnswer = LauncherAnswers[LaunchCommandKind];

/**
 * Starts runs. Input: a command (`schedule` from EventBridge Scheduler, `manual`, `cancel`, `pause`, `resume` from
 * the CLI, `retry`, `redrive` from retry schedules and the reaper) or a `Flow Run State Change` from the bus, which
 * starts the flows downstream and moves backfills on.
 */
export function createLauncherHandler(deps: { launch: ReturnType<typeof createLauncher>; logger: Logger }) {
  return async (event: unknown): Promise<LauncherAnswer> => {
    // One invocation, one command: keys appended for the last must not label this one.
    deps.logger.removeKeys(["command", "flow"]);
    const command: LaunchCommand = parseLaunchCommand(event);
    const outcomes = await deps.launch(command);
    if (command.kind === "run-changed") {
      const runs = outcomes.filter(isRunOutcome).map((outcome) => outcome.run.runId);
      const launched = outcomes.filter(isBackfillOutcome).flatMap((outcome) => outcome.launched);
      deps.logger.info("run change followed", { change: command.change.runId, downstream: runs, backfill: launched });
      return { status: "followed", runs: [...runs, ...launched] };
    }
    deps.logger.appendKeys({ command: command.kind, ...("flow" in command && { flow: command.flow }) });
    const outcome = outcomes[0]!;
    if (isBackfillOutcome(outcome)) {
      deps.logger.info(outcome.status, { backfillId: outcome.backfill.backfillId, launched: outcome.launched });
      return { status: outcome.status, backfill: outcome.backfill, runs: outcome.launched };
    }
    if (!isRunOutcome(outcome)) {
      const pause = "pause" in outcome ? { pause: outcome.pause } : {};
      deps.logger.info(`flow ${outcome.status}`, pause);
      return { status: outcome.status, flow: outcome.flow, ...pause };
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

function isBackfillOutcome(outcome: LaunchOutcome | FlowOutcome): outcome is BackfillOutcome {
  return "backfill" in outcome;
}
