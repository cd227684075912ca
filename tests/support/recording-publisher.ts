import type { RetryCommand } from "../../contracts/launch-commands";
import type { RunEventPublisher } from "../../lambdas/core/ports";
import type { RunStateChanged } from "../../contracts/run-events";

/** Collects published run changes so tests can assert what downstream consumers would see. */
export class RecordingPublisher implements RunEventPublisher {
  readonly published: RunStateChanged[] = [];
  async publish(change: RunStateChanged): Promise<void> {
    this.published.push(change);
  }
  get transitions(): string[] {
    return this.published.map((change) => `${change.from ?? "∅"}->${change.to}`);
  }
}

export const fixedClock = (iso: string) => ({ now: () => new Date(iso) });

/** Collects the retries a component schedules instead of scheduling them. */
export class RecordingRetries {
  readonly scheduled: (RetryCommand & { at: string })[] = [];
  async schedule(command: RetryCommand, at: Date): Promise<void> {
    this.scheduled.push({ ...command, at: at.toISOString() });
  }
  readonly cancelled: RetryCommand[] = [];
  async cancel(command: RetryCommand): Promise<void> {
    this.cancelled.push(command);
  }
}
