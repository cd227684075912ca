import type { Delivery, Notifier } from "../core/ports";

export interface SlackWebhookNotifierOptions {
  /** Resolves the incoming-webhook URL (from SSM, cached). The URL is a credential: it is never logged. */
  webhookUrl: () => Promise<string>;
  /** Attempts per message for 429 and 5xx answers and for connections that never reached Slack. */
  maxAttempts: number;
  /** Longest Retry-After honoured before giving up to the platform's retry, in seconds. */
  maxRetryAfterSeconds: number;
  sleep: (ms: number) => Promise<void>;
  now: () => Date;
}

/** Slack answered in a way no retry will change (400, 403, 404, 410: a bad payload or a revoked webhook). */
export class PermanentSlackError extends Error {
  override name = "PermanentSlackError";
}

/** Slack could not take the message now (429, 5xx, unreachable, or not before the deadline); retry the event later. */
export class TransientSlackError extends Error {
  override name = "TransientSlackError";
}

const PERMANENT = new Set([400, 403, 404, 410]);
/** Time kept back before the deadline, to give the claim back and fail cleanly. */
const DEADLINE_MARGIN_MS = 2_000;
/**
 * A response slower than this means Slack has the request but has not answered. It is longer than the connect
 * timeout of Node's fetch (10 s), so a connection that never opened fails as such (and is retried) first.
 */
const RESPONSE_TIMEOUT_MS = 20_000;
/** An attempt needs at least this long before the deadline: the connect timeout and a little more. */
const ATTEMPT_MIN_MS = 12_000;
/** Failures before any byte of the request reached Slack: posting again cannot post twice. */
const NOT_SENT = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
  "CERT_HAS_EXPIRED",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/**
 * Posts to a Slack incoming webhook: honours Retry-After on 429 and backs off on 5xx while the invocation's deadline
 * allows, gives up at once on 4xx. Incoming webhooks have no idempotency key, so a post that reached Slack but whose
 * answer was lost (the connection dropped, the response timed out) is reported `uncertain` and not sent again: a
 * second page is worse than an unconfirmed one. Only a post that never left (refused, unresolvable) is retried.
 */
export class SlackWebhookNotifier implements Notifier {
  constructor(private readonly options: SlackWebhookNotifierOptions) {}

  async post(message: { text: string; blocks: object[] }, options: { deadline?: Date } = {}): Promise<Delivery> {
    const url = await this.options.webhookUrl();
    const stopBy = (options.deadline?.getTime() ?? Infinity) - DEADLINE_MARGIN_MS;
    const waitOrGiveUp = async (ms: number, why: string) => {
      if (this.options.now().getTime() + ms > stopBy) {
        throw new TransientSlackError(`${why}; waiting would pass this invocation's deadline: left to the retry`);
      }
      await this.options.sleep(ms);
    };
    let last = "";
    let sending: { text: string; blocks?: object[] } = message;
    for (let attempt = 1; attempt <= this.options.maxAttempts; attempt += 1) {
      const left = stopBy - this.options.now().getTime();
      if (left < ATTEMPT_MIN_MS) {
        throw new TransientSlackError(`too little of this invocation is left to post (${Math.round(left / 1000)} s)`);
      }
      let response: Response;
      try {
        response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(sending),
          signal: AbortSignal.timeout(Math.min(RESPONSE_TIMEOUT_MS, left)),
        });
      } catch (error) {
        const code = causeCode(error);
        // The error text can contain the URL; keep only its kind.
        if (!code || !NOT_SENT.has(code)) return "uncertain";
        last = `network error (${code})`;
        await waitOrGiveUp(backoffMs(attempt), last);
        continue;
      }
      const body = await response.text().catch(() => "");
      if (response.ok) return "confirmed";
      last = `HTTP ${response.status} ${body.slice(0, 200)}`;
      if (response.status === 400 && body.includes("invalid_blocks") && sending.blocks) {
        // The blocks broke a limit no one foresaw: on-call still gets the plain text rather than nothing.
        sending = { text: message.text };
        continue;
      }
      if (PERMANENT.has(response.status)) throw new PermanentSlackError(`Slack refused the message: ${last}`);
      if (response.status === 429) {
        const retryAfter = Math.max(Number(response.headers.get("retry-after") ?? "1"), 0);
        if (retryAfter > this.options.maxRetryAfterSeconds) break;
        await waitOrGiveUp(retryAfter * 1000, `Slack asked to retry after ${retryAfter} s (Retry-After)`);
        continue;
      }
      await waitOrGiveUp(backoffMs(attempt), last);
    }
    throw new TransientSlackError(`Slack did not take the message after ${this.options.maxAttempts} attempts: ${last}`);
  }
}

/** The system error code under a fetch failure (`TypeError: fetch failed` with a `cause`), if any. */
function causeCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: string; name?: string } }).cause;
  return cause?.code ?? cause?.name;
}

function backoffMs(attempt: number): number {
  return Math.min(250 * 2 ** (attempt - 1), 4000);
}
