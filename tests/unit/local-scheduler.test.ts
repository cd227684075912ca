import { defineRegistry } from "../../flows/registry/flow-registry";
import type { ScheduledLaunch } from "../../local/scheduler";
import { LocalScheduler } from "../../local/scheduler";

const registry = defineRegistry([
  {
    name: "quarter-hourly",
    description: "d",
    owner: "@o",
    schedule: { cron: "*/15 * * * *", timezone: "Europe/London" },
  },
  { name: "disabled", description: "d", owner: "@o", schedule: { cron: "* * * * *", enabled: false } },
  { name: "manual-only", description: "d", owner: "@o" },
  { name: "hourly-rate", description: "d", owner: "@o", schedule: { rate: "1 hour" } },
]);

describe("the local scheduler", () => {
  let sent: ScheduledLaunch[];
  let scheduler: LocalScheduler;

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date("2026-03-02T10:07:30Z") });
    sent = [];
    scheduler = new LocalScheduler({ registry, send: async (payload) => void sent.push(payload) });
  });
  afterEach(() => {
    scheduler.stop();
    jest.useRealTimers();
  });

  it("schedules only enabled flows and says when each fires next", () => {
    expect(scheduler.start()).toEqual([
      { flow: "quarter-hourly", next: new Date("2026-03-02T10:15:00Z") },
      { flow: "hourly-rate", next: new Date("2026-03-02T11:00:00Z") },
    ]);
  });

  it("sends the payload EventBridge Scheduler would, with the due instant as scheduledTime", () => {
    scheduler.start();
    jest.advanceTimersByTime(8 * 60_000);
    expect(sent).toEqual([{ kind: "schedule", flow: "quarter-hourly", scheduledTime: "2026-03-02T10:15:00Z" }]);
  });

  it("keeps firing on every slot", () => {
    scheduler.start();
    jest.advanceTimersByTime(53 * 60_000);
    expect(sent.map((payload) => `${payload.flow}@${payload.scheduledTime}`).sort()).toEqual([
      "hourly-rate@2026-03-02T11:00:00Z",
      "quarter-hourly@2026-03-02T10:15:00Z",
      "quarter-hourly@2026-03-02T10:30:00Z",
      "quarter-hourly@2026-03-02T10:45:00Z",
      "quarter-hourly@2026-03-02T11:00:00Z",
    ]);
  });

  it("fires nothing after it is stopped", () => {
    scheduler.start();
    scheduler.stop();
    jest.advanceTimersByTime(60 * 60_000);
    expect(sent).toEqual([]);
  });
});
