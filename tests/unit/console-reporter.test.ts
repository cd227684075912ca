import type { RunStateChanged } from "../../contracts/run-events";
import { ConsoleReporter, formatFlowOutput } from "../../local/console-reporter";

const failed: RunStateChanged = {
  runId: "hello-world/m20260302T101201Z-abc123",
  flow: "hello-world",
  trigger: "manual",
  from: "RUNNING",
  to: "FAILED",
  attempt: 1,
  maxAttempts: 1,
  at: "2026-03-02T10:12:03.000Z",
  exitCode: 1,
  stopCode: "EssentialContainerExited",
  reason: "Essential container in task exited",
};

describe("the local console", () => {
  it("prints a run change with the facts that explain an ending", async () => {
    const lines: string[] = [];
    await new ConsoleReporter((line) => lines.push(line), false).publish(failed);
    expect(lines).toEqual([
      "10:12:03  hello-world/m20260302T101201Z-abc123  attempt 1/1  RUNNING → FAILED  (exit 1; EssentialContainerExited; Essential container in task exited)",
    ]);
  });

  it("prints a re-announced change once", async () => {
    const lines: string[] = [];
    const reporter = new ConsoleReporter((line) => lines.push(line), false);
    await reporter.publish(failed);
    await reporter.publish(failed);
    expect(lines).toHaveLength(1);
  });

  it("shows a flow's JSON log line as level and message", () => {
    expect(formatFlowOutput("r/1", '{"level":"ERROR","message":"flow failed","error":{"message":"boom"}}')).toBe(
      "          r/1  │ ERROR flow failed: boom",
    );
    expect(formatFlowOutput("r/1", "plain text")).toBe("          r/1  │ plain text");
  });
});
