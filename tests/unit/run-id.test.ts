import { backfillRunId, clientToken, manualRunId, scheduledRunId, startedBy } from "../../lambdas/core/run-id";

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

  it("keeps the ECS client token within 64 characters for the longest flow name and id", () => {
    const runId = manualRunId(LONGEST_FLOW, new Date("2026-03-02T10:12:01.500Z"), "abcdef");
    const token = clientToken(runId, 10);
    expect(token.length).toBeLessThanOrEqual(64);
  });

  it("gives each attempt its own client token", () => {
    expect(clientToken("f/20260302T1000Z", 1)).not.toBe(clientToken("f/20260302T1000Z", 2));
  });

  it("keeps startedBy within ECS's 36 characters of [A-Za-z0-9-/_]", () => {
    expect(startedBy(LONGEST_FLOW)).toMatch(/^[A-Za-z0-9\-/_]{1,36}$/);
  });
});
