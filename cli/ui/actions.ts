import type { IncomingMessage, ServerResponse } from "node:http";
import { randomNonces } from "../../lambdas/adapters/random-nonces";
import { requireValidParams } from "../arguments";
import type { Operator } from "../operations";
import { cancelRun, pauseFlow, rerunRun, resumeFlow, startRun } from "../operations";
import type { Target } from "../local-target";
import { HttpError, readForm, redirect, sameToken, send } from "./http";
import type { PageContext } from "./pages";
import { confirmPage } from "./pages";
import { requireRun } from "./views";

export interface ActionDeps {
  target: Target;
  operator: Operator;
  context: () => PageContext;
  /** This page's origin: a state change must come from it. */
  origin: () => string;
  csrfToken: string;
}

/** A request id names one confirmation page: a double-click on "Confirm" (or a resubmitted form) acts once. */
const REQUEST_ID = /^[a-z0-9]{10}$/;

/**
 * The page's actions (run, rerun, cancel, pause, resume): POSTs from a form of this page (same origin, this session's
 * token), each first shown on a confirmation page, then sent through the same operations as the CLI's commands.
 */
export function createActions(deps: ActionDeps) {
  const { operator } = deps;
  return async function act(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const site = request.headers["sec-fetch-site"];
    if (request.headers.origin !== undefined && request.headers.origin !== deps.origin())
      throw new HttpError(403, "refused: a request from another origin");
    if (site !== undefined && site !== "same-origin" && site !== "none")
      throw new HttpError(403, "refused: a cross-site request");
    const form = await readForm(request);
    if (!sameToken(form.get("csrf") ?? "", deps.csrfToken))
      throw new HttpError(403, "refused: the request does not carry this page's token (reload the page)");
    const context = deps.context();
    if (!context.actionsAllowed) throw new HttpError(403, context.actionsRefusal!);
    const name = url.pathname.replace(/^\/actions\//, "");
    const requestId = REQUEST_ID.test(form.get("requestId") ?? "") ? form.get("requestId")! : randomNonces.nonce();
    const fields = {
      ...Object.fromEntries([...form.entries()].filter(([key]) => key !== "csrf" && key !== "confirmed")),
      requestId,
    };
    // Asked once, shown on its own page; carried out when the form comes back confirmed.
    const confirm = async (what: string, carryOut: () => Promise<string>) =>
      form.get("confirmed") === "yes"
        ? redirect(response, await carryOut())
        : send(response, 200, confirmPage(context, name, what, fields));
    const reason = form.get("reason") ?? undefined;
    switch (name) {
      case "run": {
        const flow = operator.registry.require(form.get("flow") ?? "");
        const params = Object.fromEntries(
          [...form.entries()]
            .filter(([key, value]) => key.startsWith("param.") && value !== "")
            .map(([key, value]) => [key.slice("param.".length), value]),
        );
        const effective = requireValidParams(flow, params);
        return confirm(`Start a run of ${flow.name} now with ${JSON.stringify(effective)}?`, async () =>
          runPath((await startRun(operator, flow, params, requestId)).runId),
        );
      }
      case "cancel": {
        const run = await requireRun(deps.target, form.get("runId"));
        return confirm(`Cancel ${run.runId} (${run.state})? Its task is stopped and it is not retried.`, async () =>
          runPath((await cancelRun(operator, run.runId, reason)).runId),
        );
      }
      case "rerun": {
        const run = await requireRun(deps.target, form.get("runId"));
        return confirm(`Start a new run of ${run.flow} with the params and data interval of ${run.runId}?`, async () =>
          runPath((await rerunRun(operator, run.runId, requestId)).runId),
        );
      }
      case "pause": {
        const flow = operator.registry.require(form.get("flow") ?? "");
        return confirm(
          `Pause ${flow.name}? Its schedule and upstream fires are recorded SKIPPED until it is resumed.`,
          async () => (await pauseFlow(operator, flow.name, reason), "/"),
        );
      }
      case "resume": {
        const flow = operator.registry.require(form.get("flow") ?? "");
        return confirm(
          `Resume ${flow.name}? Its next fires launch again.`,
          async () => (await resumeFlow(operator, flow.name), "/"),
        );
      }
      default:
        throw new HttpError(404, `no action ${name}`);
    }
  };
}

const runPath = (runId: string) => `/run?id=${encodeURIComponent(runId)}`;
