import type { RejectionReason, TransitionRequest } from "./ports";
import type { Run } from "./run";
import { isTerminal, RunState } from "../../contracts/run-states";

/**
 * Why the store refused a transition, read off the run as it is now. The conditional write decides; this only
 * names the reason for logs and counters, in the order the condition checks it.
 */
export function explainRejection(run: Run | undefined, request: TransitionRequest): RejectionReason {
  if (!run) return "unknown-run";
  // The very event that made the latest change, delivered again (it may have ended the run).
  if (
    request.task &&
    run.attempt === request.attempt &&
    run.taskArn === request.task.taskArn &&
    run.taskVersion === request.task.version
  ) {
    return "duplicate";
  }
  if (isTerminal(run.state)) return "terminal";
  if (run.attempt !== request.attempt) return "other-attempt";
  if (request.task && run.state === RunState.RETRYING) return "attempt-over";
  if (request.task && run.taskArn !== undefined && run.taskArn !== request.task.taskArn) return "other-task";
  if (request.task && run.taskVersion !== undefined && run.taskVersion > request.task.version) return "stale";
  if (request.withoutTask && run.taskArn !== undefined) return "has-task";
  if (request.withoutSettlement && run.settlement !== undefined) return "owes-settlement";
  return "not-allowed";
}
