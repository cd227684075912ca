import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { environments } from "../../.aws/config";
import { connectAws } from "../../cli/aws-target";
import type { DynamoRunStore } from "../../lambdas/adapters/dynamo-run-store";
import { loadRegistry } from "../../flows/index";

const registry = loadRegistry();
import { runCliCapturing } from "../support/cli";

describe("the CLI against a deployed environment", () => {
  const lambda = mockClient(LambdaClient);
  beforeEach(() => lambda.reset());

  it("starts runs by invoking the environment's launcher function and waits for its answer", async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: Buffer.from(JSON.stringify({ status: "launched", runId: "hello-world/m1", state: "STARTING" })) as never,
    });
    const target = connectAws(environments.prod, new LambdaClient({ region: "eu-west-1" }));
    expect(await target.launcher.invoke({ kind: "manual", flow: "hello-world", params: {} })).toEqual({
      status: "launched",
      runId: "hello-world/m1",
      state: "STARTING",
    });
    const input = lambda.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ FunctionName: "data-flows-prod-launcher", InvocationType: "RequestResponse" });
    expect(JSON.parse(Buffer.from(input.Payload as Uint8Array).toString())).toEqual({
      flow: "hello-world",
      kind: "manual",
      params: {},
    });
    target.close();
  });

  it("reports the launcher's own error message", async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: "Unhandled",
      Payload: Buffer.from(
        JSON.stringify({ errorType: "UnknownFlowError", errorMessage: 'unknown flow "x"' }),
      ) as never,
    });
    const target = connectAws(environments.dev, new LambdaClient({ region: "eu-west-1" }));
    await expect(target.launcher.invoke({ kind: "manual", flow: "x", params: {} })).rejects.toThrow(
      'launcher: unknown flow "x"',
    );
    target.close();
  });

  it.each([
    [
      "a runtime crash in plain text",
      "Runtime exited with error: signal: killed",
      "Runtime exited with error: signal: killed",
    ],
    ["an empty answer", "", "Unhandled"],
    ["an error split over lines", JSON.stringify({ errorMessage: "first\nsecond" }), "first second"],
  ])("reads a failed invocation before its answer: %s is one line, never a JSON error", async (_, payload, said) => {
    lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, FunctionError: "Unhandled", Payload: Buffer.from(payload) as never });
    const target = connectAws(environments.dev, new LambdaClient({ region: "eu-west-1" }));
    await expect(target.launcher.invoke({ kind: "manual", flow: "hello-world", params: {} })).rejects.toThrow(
      expect.objectContaining({ name: "CliError", message: `launcher: ${said}` }),
    );
    target.close();
  });

  it("says so when a successful invocation answers with something other than JSON", async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: Buffer.from("<html>") as never });
    const target = connectAws(environments.dev, new LambdaClient({ region: "eu-west-1" }));
    await expect(target.launcher.invoke({ kind: "manual", flow: "hello-world", params: {} })).rejects.toThrow(
      "launcher data-flows-dev-launcher answered with something other than JSON",
    );
    target.close();
  });

  it("reads runs from the environment's table", () => {
    const target = connectAws(environments.dev, new LambdaClient({ region: "eu-west-1" }));
    expect((target.runs as DynamoRunStore).tableName).toBe("data-flows-dev-runs");
    target.close();
  });

  it("refuses to replay events into a deployed environment", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "data-flows-cli-"));
    writeFileSync(join(dataDir, "events.jsonl"), "{}\n");
    const result = await runCliCapturing(["--env", "prod", "events", "replay", join(dataDir, "events.jsonl")], {
      dataDir,
      registry,
    });
    expect(result).toMatchObject({ code: 2, err: "data-flows: events replay works on the local control plane only" });
  });

  it("rejects an environment it does not know", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "data-flows-cli-"));
    const result = await runCliCapturing(["--env", "staging", "runs"], { dataDir, registry });
    expect(result.code).toBe(2);
    expect(result.err).toContain("Allowed choices are local, dev, prod");
  });
});
