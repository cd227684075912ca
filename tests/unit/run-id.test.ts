import {
  backfillRunId,
  clientToken,
  manualRunId,
  scheduledRunId,
  startedBy,
  upstreamRunId,
} from "../../lambdas/core/run-id";
import { runTaskProblems } from "../../lambdas/core/task-request";

const INTERVAL = { start: "2026-03-02T09:00:00.000Z", end: "2026-03-02T10:00:00.000Z" };

const LONGEST_FLOW = "a".repeat(32);

describe("run ids", () => {
  it("derives a scheduled run's id from its flow and scheduled minute", () => {
    expect(scheduledRunId("orders-daily", new Date("2026-03-02T10:00:00Z"))).toBe("orders-daily/20260302T1000Z");
  });

  it("gives the same id to two deliveries of the same schedule fire", () => {
    const first = scheduledRunId("orders-daily", new Date("2026-03-02T10:00:00.000Z"));
    const second = scheduledRunId("orders-daily", new Date("2026-03-02T11:00:00+01:00"));
    expect(second).toBe(first);
  });

  it("keeps seconds when the instant has them, so sub-minute slots stay apart", () => {
    expect(scheduledRunId("f", new Date("2026-03-02T10:00:30Z"))).toBe("f/20260302T100030Z");
  });

  it("marks backfill ids and keeps them deterministic per slot", () => {
    const slot = new Date("2026-03-01T10:00:00Z");
    expect(backfillRunId("orders-daily", slot)).toBe("orders-daily/b20260301T1000Z");
    expect(backfillRunId("orders-daily", slot)).not.toBe(scheduledRunId("orders-daily", slot));
  });

  it("tells apart manual runs requested in the same second by their nonce", () => {
    const at = new Date("2026-03-02T10:12:01Z");
    expect(manualRunId("f", at, "abc123")).toBe("f/m20260302T101201Z-abc123");
    expect(manualRunId("f", at, "abc123")).not.toBe(manualRunId("f", at, "def456"));
  });

  it("keeps a manual run's ECS client token within RunTask's 64 characters for the longest flow name", () => {
    const runId = manualRunId(LONGEST_FLOW, new Date("2026-03-02T10:12:01.500Z"), "abcdefghij");
    expect(runTaskProblems({ flow: LONGEST_FLOW, runId, attempt: 10, params: {}, dataInterval: INTERVAL })).toEqual([]);
  });

  it("keeps a downstream run's id within the client token limit for the longest flow names", () => {
    const upstream = manualRunId(LONGEST_FLOW, new Date("2026-03-02T10:12:01.500Z"), "abcdefghij");
    const runId = upstreamRunId(LONGEST_FLOW, upstream);
    expect(runTaskProblems({ flow: LONGEST_FLOW, runId, attempt: 9, params: {}, dataInterval: INTERVAL })).toEqual([]);
  });

  it("names the client token limit when an id is too long for ECS", () => {
    expect(
      runTaskProblems({ flow: "f", runId: `f/${"x".repeat(70)}`, attempt: 1, params: {}, dataInterval: INTERVAL }),
    ).toEqual([expect.stringMatching(/clientToken .* 1-64 printable ASCII/)]);
  });

  it("gives each attempt its own client token", () => {
    expect(clientToken("f/20260302T1000Z", 1)).not.toBe(clientToken("f/20260302T1000Z", 2));
  });

  it("keeps startedBy within 36 of [A-Za-z0-9-/_], inside both RunTask's 128 and StartTask's 36", () => {
    expect(startedBy(LONGEST_FLOW)).toMatch(/^[A-Za-z0-9\-/_]{1,36}$/);
  });
});
