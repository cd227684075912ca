import { defineRegistry } from "../../flows/registry/flow-registry";
import { runLocal } from "../../local/main";

describe("npm start with invalid flow definitions", () => {
  it("stops with exit code 1 and a message naming the flow and the field", async () => {
    const err: string[] = [];
    const code = await runLocal(
      { env: {}, out: () => undefined, err: (line) => err.push(line), colour: false, stopRequested: Promise.resolve() },
      () =>
        defineRegistry([
          {
            name: "orders-daily",
            description: "d",
            owner: "@o",
            schedule: { cron: "0 6 * * *", timezone: "Mars/Base" },
          },
        ]),
    );
    expect(code).toBe(1);
    expect(err.join("\n")).toContain('flow "orders-daily", field "schedule.timezone": unknown timezone "Mars/Base"');
  });
});
