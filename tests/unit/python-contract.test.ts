import { ExitCode } from "../../contracts/exit-codes";
import { secretParameterName } from "../../contracts/resource-names";
import { runItemKey, WATERMARK_PROPOSAL_ATTRIBUTE } from "../../contracts/runs-table";
import { MAX_WATERMARK_CHARACTERS, TaskEnv } from "../../contracts/task-environment";
import { describeWithPython, runPython } from "../support/python";

/** The Python helper's copy of the contract, as Python reads it. */
const pythonContract = () =>
  JSON.parse(
    runPython(`
import json
from data_flows import contract as c
names = lambda cls: {k: v for k, v in vars(cls).items() if not k.startswith("_")}
print(json.dumps({
  "env": sorted(names(c.TaskEnv).values()),
  "exit": names(c.ExitCode),
  "maxWatermark": c.MAX_WATERMARK_CHARACTERS,
  "proposal": c.WATERMARK_PROPOSAL_ATTRIBUTE,
  "key": c.run_item_key("orders-load-py/m20261203T120000Z-abc"),
  "parameter": c.secret_parameter_name("Dev", "SNOWFLAKE_USER"),
}))`),
  ) as Record<string, unknown>;

describeWithPython("the Python helper's contract (flows/python/data_flows/contract.py)", () => {
  const python = pythonContract();

  it("names every environment variable the TypeScript contract does, and no other", () => {
    expect(python.env).toEqual(Object.values(TaskEnv).sort());
  });

  it("gives every exit code the same number", () => {
    const snake = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase();
    expect(python.exit).toEqual(
      Object.fromEntries(Object.entries(ExitCode).map(([name, code]) => [snake(name), code])),
    );
  });

  it("writes the proposal to the same item and attribute, within the same length", () => {
    expect(python.key).toEqual(runItemKey("orders-load-py/m20261203T120000Z-abc"));
    expect(python.proposal).toBe(WATERMARK_PROPOSAL_ATTRIBUTE);
    expect(python.maxWatermark).toBe(MAX_WATERMARK_CHARACTERS);
  });

  it("names a missing secret's SSM parameter as the stacks create it", () => {
    expect(python.parameter).toBe(secretParameterName("Dev", "SNOWFLAKE_USER"));
  });
});
