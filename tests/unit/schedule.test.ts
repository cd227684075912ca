import {
  isKnownTimezone,
  nextFireTimes,
  parseCron,
  parseRate,
  ScheduleError,
  toSchedulerExpression,
} from "../../flows/registry/schedule";

describe("EventBridge Scheduler expressions", () => {
  it.each([
    ["0 6 * * *", "cron(0 6 * * ? *)"],
    ["*/15 * * * *", "cron(*/15 * * * ? *)"],
    ["30 2 1 * *", "cron(30 2 1 * ? *)"],
    ["0 6 * * 1-5", "cron(0 6 ? * 2-6 *)"],
    ["0 6 * * 0", "cron(0 6 ? * 1 *)"],
    ["0 6 * * 7", "cron(0 6 ? * 1 *)"],
    ["0 6 * * 0,6", "cron(0 6 ? * 1,7 *)"],
    ["0 6 * * MON-FRI", "cron(0 6 ? * MON-FRI *)"],
    ["0 6 * * 5#3", "cron(0 6 ? * 6#3 *)"],
    ["0 6 * * 5L", "cron(0 6 ? * 6L *)"],
  ])("turns cron %s into %s", (cron, expected) => {
    expect(toSchedulerExpression({ cron })).toBe(expected);
  });

  it.each([
    ["1 minute", "rate(1 minute)"],
    ["1 minutes", "rate(1 minute)"],
    ["15 minutes", "rate(15 minutes)"],
    ["15 minute", "rate(15 minutes)"],
    ["2 hours", "rate(2 hours)"],
    ["1 day", "rate(1 day)"],
  ])("turns rate %s into %s", (rate, expected) => {
    expect(toSchedulerExpression({ rate })).toBe(expected);
  });
});

describe("schedule validation", () => {
  it.each([
    ["six fields", "0 0 6 * * *", /five/],
    ["too few fields", "0 6 *", /five/],
    ["an out-of-range hour", "0 25 * * *", /not a valid cron/],
    ["both day fields restricted", "0 6 1 * 1", /both day-of-month and day-of-week/],
    ["a step in day-of-week", "0 6 * * */2", /step in day-of-week/],
  ])("rejects a cron with %s", (_, cron, message) => {
    expect(() => parseCron(cron)).toThrow(message);
  });

  it.each(["fifteen minutes", "0 minutes", "5 weeks", ""])("rejects the rate %j", (rate) => {
    expect(() => parseRate(rate)).toThrow(ScheduleError);
  });

  it("knows IANA timezones and refuses made-up ones", () => {
    expect(isKnownTimezone("Europe/London")).toBe(true);
    expect(isKnownTimezone("Mars/Olympus_Mons")).toBe(false);
  });
});

describe("next fire times", () => {
  it("evaluates a cron in the schedule's timezone, across a DST change", () => {
    // London moves from GMT to BST on 2026-03-29: 06:00 local is 06:00Z before and 05:00Z after.
    const times = nextFireTimes({ cron: "0 6 * * *" }, "Europe/London", new Date("2026-03-28T00:00:00Z"), 2);
    expect(times.map((time) => time.toISOString())).toEqual(["2026-03-28T06:00:00.000Z", "2026-03-29T05:00:00.000Z"]);
  });

  it("fires a rate on the period boundary after the given instant", () => {
    const times = nextFireTimes({ rate: "15 minutes" }, "UTC", new Date("2026-03-02T10:07:00Z"), 2);
    expect(times.map((time) => time.toISOString())).toEqual(["2026-03-02T10:15:00.000Z", "2026-03-02T10:30:00.000Z"]);
  });
});
