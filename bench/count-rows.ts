import type { CountsResult, FunctionCounts, ScenarioCounts } from "./counts";
import type { Rows } from "./report";
import { exact } from "./stats";

const total = (scenario: ScenarioCounts, pick: (counts: FunctionCounts) => number) =>
  Object.values(scenario.functions).reduce((sum, counts) => sum + pick(counts), 0);
const requestsOf = (counts: FunctionCounts) =>
  Object.values(counts.dynamo.requests).reduce((sum, r) => sum + r.ok + r.conditionFailed + r.otherErrors, 0);

/** Section 4 rows: per scenario, what each function was invoked for and what the run cost in calls and units. */
export function countRows(rows: Rows, result: CountsResult): void {
  const scenarios: [string, ScenarioCounts][] = [
    ...Object.entries(result.scenarios),
    ["reaper pass", result.reaperPass],
  ];
  for (const [name, scenario] of scenarios) {
    const one = (value: number) => exact(value);
    const before = rows.rows.length;
    for (const [fn, counts] of Object.entries(scenario.functions)) {
      rows.add(`${name}: ${fn} invocations`, one(counts.invocations), "invocations", {
        note: [
          `${counts.logBytes} bytes logged`,
          ...(counts.errors.length ? [`${counts.errors.length} FAILED: ${counts.errors[0]}`] : []),
          ...(fn === "launcher" && name !== "reaper pass" ? [scenario.description] : []),
        ].join("; "),
      });
    }
    const byIndex: Record<string, number> = {};
    for (const counts of Object.values(scenario.functions))
      for (const [index, units] of Object.entries(counts.dynamo.writeUnitsIndex))
        byIndex[index] = (byIndex[index] ?? 0) + units;
    const ops: Record<string, string> = {};
    for (const counts of Object.values(scenario.functions)) {
      for (const [op, r] of Object.entries(counts.dynamo.requests)) {
        const [n, failed] = (ops[op] ?? "0/0").split("/").map(Number) as [number, number];
        ops[op] = `${n + r.ok + r.conditionFailed + r.otherErrors}/${failed + r.conditionFailed}`;
      }
    }
    rows.add(`${name}: DynamoDB requests`, one(total(scenario, requestsOf)), "requests", {
      note: Object.entries(ops)
        .map(([op, value]) => `${op} ${value.split("/")[0]} (${value.split("/")[1]} condition failed)`)
        .join(", "),
    });
    rows.add(`${name}: DynamoDB write units, table`, one(total(scenario, (c) => c.dynamo.writeUnitsTable)), "WRU", {
      note: "failed conditional writes included",
    });
    rows.add(`${name}: DynamoDB write units, GSIs`, one(Object.values(byIndex).reduce((a, b) => a + b, 0)), "WRU", {
      note:
        Object.entries(byIndex)
          .map(([index, units]) => `${index} ${units}`)
          .join(", ") || "none",
    });
    rows.add(`${name}: DynamoDB read units`, one(total(scenario, (c) => c.dynamo.readUnits)), "RRU", {
      note: "strongly consistent 1 per 4 KB, eventually consistent (GSI) 0.5",
    });
    const calls = (call: string) => total(scenario, (c) => c.calls[call] ?? 0);
    rows.add(`${name}: EventBridge PutEvents`, one(calls("EventBridge.PutEvents")), "calls", {
      note: `${calls("EventBridge.entries")} custom events; ${scenario.busEventsDelivered} delivered by the bus rules`,
    });
    rows.add(`${name}: ECS RunTask`, one(calls("ECS.RunTask")), "calls", {
      note: `StopTask ${calls("ECS.StopTask")}, DescribeTasks ${calls("ECS.DescribeTasks")}; ECS events ${scenario.ecsEventsEmitted} emitted, ${scenario.ecsEventsDelivered} let through by the rule`,
    });
    rows.add(`${name}: EventBridge Scheduler invocations`, one(scenario.schedulerInvocations), "invocations", {
      note: `CreateSchedule ${calls("Scheduler.CreateSchedule")}`,
    });
    const other = ["SSM.GetParameter", "Slack.POST", "CloudWatchLogs.GetLogEvents", "Lambda.Invoke"];
    rows.add(
      `${name}: other calls (SSM, Slack, Logs, Lambda Invoke)`,
      one(other.reduce((sum, call) => sum + calls(call), 0)),
      "calls",
      {
        note: other.map((call) => `${call} ${calls(call)}`).join(", "),
      },
    );
    if (scenario.finalStates.length) rows.rows.at(-1)!.note += `; ends ${scenario.finalStates.join(", ")}`;
    if (name === "reaper pass") {
      // A pass with no run sends nothing but reads: keep the rows that say something.
      const added = rows.rows.splice(before);
      rows.rows.push(...added.filter((row) => row.value.median !== 0));
    }
  }
}
