import type { FlowDefinition } from "../flows/registry/flow-definition";
import type { LaunchCommand } from "../contracts/launch-commands";
import type { FlowRegistry } from "../flows/registry/flow-registry";
import { nextFireTimes, scheduleSpecOf } from "../flows/registry/schedule";

/** The payload EventBridge Scheduler sends the launcher: the stack configures the same input template. */
export type ScheduledLaunch = Extract<LaunchCommand, { kind: "schedule" }>;

export interface LocalSchedulerOptions {
  registry: FlowRegistry;
  send: (payload: ScheduledLaunch) => Promise<void>;
  now?: () => Date;
}

/** Longest wait Node's timers accept; a later fire is reached in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A local EventBridge Scheduler: fires each enabled flow's schedule in its timezone with the payload Scheduler
 * would send (`scheduledTime` = the instant the fire was due, as `<aws.scheduler.scheduled-time>`).
 */
export class LocalScheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly now: () => Date;

  constructor(private readonly options: LocalSchedulerOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** The flows it schedules, with the next instant each fires. */
  start(): { flow: string; next: Date }[] {
    const scheduled = this.options.registry.flows.filter((flow) => flow.schedule?.enabled);
    return scheduled.map((flow) => ({ flow: flow.name, next: this.arm(flow) }));
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private arm(flow: FlowDefinition, after: Date = this.now()): Date {
    const schedule = flow.schedule!;
    const [next] = nextFireTimes(scheduleSpecOf(schedule), schedule.timezone, after, 1) as [Date];
    const wait = () => {
      const remaining = next.getTime() - this.now().getTime();
      if (remaining > 0) {
        this.timers.set(flow.name, setTimeout(wait, Math.min(remaining, MAX_TIMER_MS)));
        return;
      }
      this.arm(flow, next);
      void this.options.send({
        kind: "schedule",
        flow: flow.name,
        scheduledTime: `${next.toISOString().slice(0, 19)}Z`,
      });
    };
    this.timers.set(
      flow.name,
      setTimeout(wait, Math.min(Math.max(next.getTime() - this.now().getTime(), 0), MAX_TIMER_MS)),
    );
    return next;
  }
}
