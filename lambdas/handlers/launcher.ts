import type { Logger } from "@aws-lambda-powertools/logger";
import type { LaunchCommand, LaunchCommandKind } from "../../contracts/launch-commands";
import type { RunState } from "../../contracts/run-states";
import type { createLauncher, FlowOutcome, LaunchOutcome } from "../core/launch-run";
import type { Backfill, FlowPause } from "../core/ports";
import type { BackfillOutcome } from "../core/run-backfill";
import { isOperatorCommand } from "../../contracts/launch-commands";
import { InvalidLaunchRequestError } from "../core/launch-command";
import { parseLaunchCommand } from "./launch-command-schema";
import { httpAnswer, isFunctionUrlRequest, operatorCommandOfRequest, RefusedRequestError } from "./operator-request";

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
 * Where operators' commands may come from: `url` (AWS) only through the launcher's IAM-authenticated URL, which names
 * who sent them; `invoke` (locally, where the invoke API's token stands for it) by a plain invocation too.
 */
export type OperatorEntry = "url" | "invoke";

/** Errors that say the request was wrong, not the launcher: answered 400 over the URL. */
const REFUSALS = new Set(["InvalidLaunchRequestError", "UnknownFlowError"]);

/**
 * Starts runs. Input: a command (`schedule` from EventBridge Scheduler, `retry`, `redrive` from retry schedules and the
 * reaper, and operators' commands from the CLI and the page through the launcher's URL) or a `Flow Run State Change`
 * from the bus, which starts the flows downstream and moves backfills on.
 */
export function createLauncherHandler(deps: {
  launch: ReturnType<typeof createLauncher>;
  logger: Logger;
  operatorEntry: OperatorEntry;
}) {
  const handle = launchHandler(deps);
  return async (event: unknown): Promise<LauncherAnswer | ReturnType<typeof httpAnswer>> => {
    if (!isFunctionUrlRequest(event)) {
      const command = parseLaunchCommand(event);
      if (deps.operatorEntry === "url" && isOperatorCommand(command)) {
        throw new InvalidLaunchRequestError(
          `${command.kind}: an operator's command comes through the launcher's URL, which records who sent it`,
        );
      }
      return handle(command);
    }
    try {
      return httpAnswer(200, await handle(parseLaunchCommand(operatorCommandOfRequest(event))));
    } catch (error) {
      if (error instanceof RefusedRequestError) return httpAnswer(error.statusCode, refusal(error));
      if (error instanceof Error && REFUSALS.has(error.name)) return httpAnswer(400, refusal(error));
      throw error; // the launcher's own failure: logged, alarmed, and a 502 to the caller
    }
  };
}

function refusal(error: Error) {
  return { errorType: error.name, errorMessage: error.message };
}

function launchHandler(deps: { launch: ReturnType<typeof createLauncher>; logger: Logger }) {
  return async (command: LaunchCommand): Promise<LauncherAnswer> => {
    // One invocation, one command: keys appended for the last must not label this one.
    deps.logger.removeKeys(["command", "flow"]);
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
