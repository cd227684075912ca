import type { Notifier } from "../core/ports";

export interface SlackWebhookNotifierOptions {
  /** Resolves the incoming-webhook URL (from SSM, cached). The URL is a credential: it is never logged. */
  webhookUrl: () => Promise<string>;
  /** Attempts per message for 429 and 5xx answers. */
  maxAttempts: number;
  /** Longest Retry-After honoured before giving up to the platform's retry, in seconds. */
  maxRetryAfterSeconds: number;
  sleep: (ms: number) => Promise<void>;
}

/** Slack answered in a way no retry will change (400, 403, 404, 410: a bad payload or a revoked webhook). */
export class PermanentSlackError extends Error {
  override name = "PermanentSlackError";
}

/** Slack could not take the message now (429, 5xx, network); the platform retries the event later. */
export class TransientSlackError extends Error {
  override name = "TransientSlackError";
}

const PERMANENT = new Set([400, 403, 404, 410]);

/** Posts to a Slack incoming webhook: honours Retry-After on 429, backs off on 5xx, gives up at once on 4xx. */
export class SlackWebhookNotifier implements Notifier {
  constructor(private readonly options: SlackWebhookNotifierOptions) {}

  async post(message: { text: string; blocks: object[] }): Promise<void> {
    const url = await this.options.webhookUrl();
    let last = "";
    for (let attempt = 1; attempt <= this.options.maxAttempts; attempt += 1) {
      let response: Response;
      try {
        response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(message),
          signal: AbortSignal.timeout(10_000),
        });
      } catch (error) {
        // The error text can contain the URL; keep only its kind.
        last = `network error (${(error as Error).name})`;
        await this.options.sleep(backoffMs(attempt));
        continue;
      }
      const body = await response.text();
      if (response.ok) return;
      last = `HTTP ${response.status} ${body.slice(0, 200)}`;
      if (PERMANENT.has(response.status)) throw new PermanentSlackError(`Slack refused the message: ${last}`);
      if (response.status === 429) {
        const retryAfter = Number(response.headers.get("retry-after") ?? "1");
        if (retryAfter > this.options.maxRetryAfterSeconds) break;
        await this.options.sleep(Math.max(retryAfter, 0) * 1000);
        continue;
      }
      await this.options.sleep(backoffMs(attempt));
    }
    throw new TransientSlackError(`Slack did not take the message after ${this.options.maxAttempts} attempts: ${last}`);
  }
}

function backoffMs(attempt: number): number {
  return Math.min(250 * 2 ** (attempt - 1), 4000);
}
