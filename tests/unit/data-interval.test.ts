import { intervalAsOf, intervalEndingAt } from "../../lambdas/core/data-interval";

const daily = { schedule: { cron: "0 6 * * *", timezone: "Europe/London", enabled: true } };
const quarterHourly = { schedule: { rate: "15 minutes", timezone: "UTC", enabled: true } };
const weekdays = { schedule: { cron: "0 9 * * 1-5", timezone: "UTC", enabled: false } };
const unscheduled = { schedule: undefined };
const at = (iso: string) => new Date(iso);

describe("the data interval of a run for a schedule slot", () => {
  it("spans the schedule's previous fire to the slot", () => {
    expect(intervalEndingAt(daily, at("2026-03-02T06:00:00Z"))).toEqual({
      start: "2026-03-01T06:00:00.000Z",
      end: "2026-03-02T06:00:00.000Z",
    });
  });

  it("follows the schedule's timezone across a daylight-saving change (a 23-hour day)", () => {
    // The UK moved to BST on 2026-03-29: 06:00 London is 06:00Z before and 05:00Z after.
    expect(intervalEndingAt(daily, at("2026-03-30T05:00:00Z"))).toEqual({
      start: "2026-03-29T05:00:00.000Z",
      end: "2026-03-30T05:00:00.000Z",
    });
    expect(intervalEndingAt(daily, at("2026-03-29T05:00:00Z"))).toEqual({
      start: "2026-03-28T06:00:00.000Z",
      end: "2026-03-29T05:00:00.000Z",
    });
  });

  it("spans one period of a rate schedule", () => {
    expect(intervalEndingAt(quarterHourly, at("2026-03-02T10:15:00Z"))).toEqual({
      start: "2026-03-02T10:00:00.000Z",
      end: "2026-03-02T10:15:00.000Z",
    });
  });

  it("skips the days a schedule does not fire (Monday's run covers the weekend)", () => {
    expect(intervalEndingAt(weekdays, at("2026-03-02T09:00:00Z"))).toEqual({
      start: "2026-02-27T09:00:00.000Z",
      end: "2026-03-02T09:00:00.000Z",
    });
  });

  it("is empty, at the slot, for a flow without a schedule", () => {
    expect(intervalEndingAt(unscheduled, at("2026-03-02T09:00:00Z"))).toEqual({
      start: "2026-03-02T09:00:00.000Z",
      end: "2026-03-02T09:00:00.000Z",
    });
  });
});

describe("the data interval of a run asked for by hand", () => {
  it("is the latest complete interval of the schedule", () => {
    expect(intervalAsOf(daily, at("2026-03-02T10:12:01.500Z"))).toEqual({
      start: "2026-03-01T06:00:00.000Z",
      end: "2026-03-02T06:00:00.000Z",
    });
  });

  it("includes a slot that fires exactly at the requested instant", () => {
    expect(intervalAsOf(daily, at("2026-03-02T06:00:00Z")).end).toBe("2026-03-02T06:00:00.000Z");
  });

  it("excludes a slot a millisecond after the requested instant", () => {
    expect(intervalAsOf(daily, at("2026-03-02T05:59:59.999Z")).end).toBe("2026-03-01T06:00:00.000Z");
  });

  it("uses the schedule even while it is disabled", () => {
    expect(intervalAsOf(weekdays, at("2026-03-01T12:00:00Z")).end).toBe("2026-02-27T09:00:00.000Z");
  });

  it("is empty, at the requested instant, for a flow without a schedule", () => {
    expect(intervalAsOf(unscheduled, at("2026-03-02T10:12:01.500Z"))).toEqual({
      start: "2026-03-02T10:12:01.500Z",
      end: "2026-03-02T10:12:01.500Z",
    });
  });
});
