import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";

/**
 * The local dead-letter queue: an event a handler rejected is appended here (JSON Lines, with the error), the way
 * AWS moves it to the function's SQS dead-letter queue after its retries. Nothing is dropped silently.
 */
export class DeadLetterFile {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  add(source: string, event: unknown, error: unknown): void {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    appendFileSync(this.path, `${JSON.stringify({ at: new Date().toISOString(), source, reason, event })}\n`);
  }
}
