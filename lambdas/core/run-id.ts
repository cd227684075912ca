/**
 * Run identifiers. A scheduled run's id is a function of its flow and scheduled instant, so a second delivery of the
 * same schedule (EventBridge Scheduler delivers at least once) finds the run already recorded and launches nothing.
 */

/** `2026-03-02T10:00:00Z` → `20260302T1000Z`; seconds are kept only when the instant has them. */
function compactInstant(instant: Date): string {
  const iso = instant.toISOString();
  const date = iso.slice(0, 10).replaceAll("-", "");
  const hhmm = iso.slice(11, 16).replace(":", "");
  const seconds = iso.slice(17, 19);
  return `${date}T${hhmm}${seconds === "00" ? "" : seconds}Z`;
}

/** The id of the run a schedule fires at `scheduledTime`, e.g. `orders-daily/20260302T1000Z`. */
export function scheduledRunId(flow: string, scheduledTime: Date): string {
  return `${flow}/${compactInstant(scheduledTime)}`;
}

/** The id of a backfill run for one schedule slot: deterministic, so re-running a backfill adds nothing twice. */
export function backfillRunId(flow: string, slot: Date): string {
  return `${flow}/b${compactInstant(slot)}`;
}

/** Characters of a manual run's nonce: 10 base-32 characters are 50 bits, so two requests do not meet by chance. */
export const MANUAL_NONCE_LENGTH = 10;

/** The id of a run someone asked for by hand; `nonce` tells apart two requests in the same second. */
export function manualRunId(flow: string, requestedAt: Date, nonce: string): string {
  return `${flow}/m${compactInstant(requestedAt)}-${nonce.slice(0, MANUAL_NONCE_LENGTH)}`;
}

/**
 * The id of a run a client named with its own request id (the CLI's rerun, the page's run now): the same request id
 * is the same run however late it is sent again, so a retried or double-submitted request starts one run.
 */
export function requestedRunId(flow: string, requestId: string): string {
  return `${flow}/r${requestId}`;
}

/**
 * The id of the run an upstream run's success starts: one per upstream slot, so a redelivered success event (or two
 * upstream flows succeeding for the same slot) starts the downstream flow once.
 */
export function upstreamRunId(flow: string, upstreamRun: string): string {
  return `${flow}/u${upstreamRun.slice(upstreamRun.indexOf("/") + 1)}`;
}

/**
 * The ECS RunTask `clientToken` of one attempt. A launcher retried after RunTask succeeded sends the same token, and
 * ECS answers with the task it already started instead of starting another. (`runTaskProblems` checks its limits.)
 */
export function clientToken(runId: string, attempt: number): string {
  return `${runId}#${attempt}`;
}

/** What every `startedBy` of a data-flows task begins with: the reaper holds such tasks to the runs. */
export const STARTED_BY_PREFIX = "df/";

/** The ECS `startedBy` of a flow's tasks, so `ListTasks` can find them. */
export function startedBy(flow: string): string {
  return `${STARTED_BY_PREFIX}${flow}`;
}

/** The flow a run id belongs to (its part before the first `/`), or undefined for a string that is not a run id. */
export function flowOfRunId(runId: string): string | undefined {
  const slash = runId.indexOf("/");
  return slash > 0 ? runId.slice(0, slash) : undefined;
}
