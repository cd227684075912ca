import type { FlowDefinition } from "../flows/registry/flow-definition";
import type { FlowRegistry } from "../flows/registry/flow-registry";
import { MAX_REASON_CHARACTERS } from "../contracts/launch-commands";
import type { BackfillAnswer, FlowAnswer, RunAnswer } from "../lambdas/handlers/launcher";
import { requireFlowOfRun, requireValidParams } from "./arguments";
import { CliError } from "./errors";
import type { LauncherClient } from "./launcher-client";

/** Who acts, where: the environment's launcher, the flows it knows, and the operator recorded with each command. */
export interface Operator {
  launcher: LauncherClient;
  registry: FlowRegistry;
  /** Recorded in the run's history ("cancelled by ana"). */
  name: string;
}

/**
 * The operator's commands, as the CLI's commands and the page's actions both send them: each checked here in the
 * operator's terms (the launcher checks again; it is the authority), then one launcher invocation.
 */
export async function startRun(
  operator: Operator,
  flow: FlowDefinition,
  params: Record<string, string>,
  requestId?: string,
): Promise<RunAnswer> {
  requireValidParams(flow, params);
  return operator.launcher.invoke({
    kind: "manual",
    flow: flow.name,
    params,
    requestedBy: operator.name,
    ...(requestId !== undefined && { requestId }),
  });
}

/** A new run of a run's flow with its params and data interval. `requestId` makes a resent request the same rerun. */
export async function rerunRun(operator: Operator, runId: string, requestId: string): Promise<RunAnswer> {
  const flow = requireFlowOfRun(operator.registry, runId);
  return operator.launcher.invoke({ kind: "rerun", flow: flow.name, runId, requestedBy: operator.name, requestId });
}

export async function cancelRun(operator: Operator, runId: string, reason?: string): Promise<RunAnswer> {
  const flow = requireFlowOfRun(operator.registry, runId);
  return operator.launcher.invoke({
    kind: "cancel",
    flow: flow.name,
    runId,
    requestedBy: operator.name,
    ...because(reason),
  });
}

export async function pauseFlow(operator: Operator, flowName: string, reason?: string): Promise<FlowAnswer> {
  const flow = operator.registry.require(flowName);
  return operator.launcher.invoke({ kind: "pause", flow: flow.name, requestedBy: operator.name, ...because(reason) });
}

export async function resumeFlow(operator: Operator, flowName: string): Promise<FlowAnswer> {
  const flow = operator.registry.require(flowName);
  return operator.launcher.invoke({ kind: "resume", flow: flow.name, requestedBy: operator.name });
}

export async function startBackfill(
  operator: Operator,
  request: { flow: FlowDefinition; from: Date; to: Date; maxConcurrent: number; params: Record<string, string> },
): Promise<BackfillAnswer> {
  // Its params were checked with its slots, before a dry run could list them.
  return operator.launcher.invoke({
    kind: "backfill",
    flow: request.flow.name,
    from: request.from.toISOString(),
    to: request.to.toISOString(),
    maxConcurrent: request.maxConcurrent,
    params: request.params,
    requestedBy: operator.name,
  });
}

export async function cancelBackfill(operator: Operator, backfillId: string, reason?: string): Promise<BackfillAnswer> {
  return operator.launcher.invoke({
    kind: "backfill-cancel",
    backfillId,
    requestedBy: operator.name,
    ...because(reason),
  });
}

/** An operator's reason, refused (not cut short) when it is longer than the run's history keeps. */
function because(reason: string | undefined): { reason?: string } {
  if (reason === undefined || reason === "") return {};
  if (reason.length > MAX_REASON_CHARACTERS) throw new CliError(`reason: at most ${MAX_REASON_CHARACTERS} characters`);
  return { reason };
}
