import type { ControlPlaneFunctionName } from "../contracts/control-plane";
import { FUNCTION_TIMEOUT_SECONDS } from "../contracts/control-plane";
import type { ControlPlane } from "../lambdas/composition-root";
import type { DeadLetterFile } from "./dead-letters";

/** Lambda's asynchronous invocation: the first try and two retries, then the dead-letter queue. */
const ASYNC_ATTEMPTS = 3;

/**
 * Invokes the local control plane's functions the two ways Lambda does: synchronously (the invoke API, as the CLI's
 * `RequestResponse` call), or asynchronously with the platform's retries and dead-letter queue (events, schedules,
 * retries). Asynchronous deliveries are tracked, so stopping can wait for the ones under way.
 */
export class LocalInvoker {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly plane: () => ControlPlane,
    private readonly deadLetters: DeadLetterFile,
    private readonly write: (line: string) => void,
    private readonly now: () => Date,
  ) {}

  /** A synchronous invocation: the handler's result, or its error, with the deadline the function has in AWS. */
  invoke(name: ControlPlaneFunctionName, event: unknown): Promise<unknown> {
    const deadline = new Date(this.now().getTime() + FUNCTION_TIMEOUT_SECONDS[name] * 1000);
    return this.plane()[name]()(event, { deadline });
  }

  /** An asynchronous invocation, awaited: retried twice, then dead-lettered with the reason. Never rejects. */
  async deliver(name: ControlPlaneFunctionName, event: unknown): Promise<void> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= ASYNC_ATTEMPTS; attempt += 1) {
      try {
        await this.invoke(name, event);
        return;
      } catch (error) {
        lastError = error;
      }
    }
    this.deadLetters.add(name, event, lastError);
    this.write(
      `${name} rejected an event ${ASYNC_ATTEMPTS} times: ${String(lastError)} (kept in ${this.deadLetters.path})`,
    );
  }

  /** An asynchronous invocation nobody waits for, as EventBridge delivers: tracked until it settles. */
  deliverLater(name: ControlPlaneFunctionName, event: unknown): void {
    const delivery = this.deliver(name, event);
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }

  /** Resolves when every delivery under way has settled, including those they started in turn. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}
