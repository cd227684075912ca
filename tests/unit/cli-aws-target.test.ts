import { GetFunctionUrlConfigCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { environments } from "../../.aws/config";
import { connectAws } from "../../cli/aws-target";
import type { DynamoRunStore } from "../../lambdas/adapters/dynamo-run-store";
import { loadRegistry } from "../../flows/index";
import { startLauncherUrlServer, TEST_CREDENTIALS } from "../support/launcher-url-server";

const registry = loadRegistry();
import { runCliCapturing } from "../support/cli";

describe("the CLI against a deployed environment", () => {
  const lambda = mockClient(LambdaClient);
  let url: Awaited<ReturnType<typeof startLauncherUrlServer>>;
  beforeAll(async () => {
    url = await startLauncherUrlServer();
  });
  afterAll(() => url.close());
  beforeEach(() => {
    lambda.reset();
    url.received.length = 0;
    lambda.on(GetFunctionUrlConfigCommand).resolves({ FunctionUrl: url.url, AuthType: "AWS_IAM" });
  });
  const connect = (environment: "dev" | "prod" = "dev") =>
    connectAws(
      environments[environment],
      new LambdaClient({ region: "eu-west-1" }),
      undefined,
      async () => TEST_CREDENTIALS,
    );
  const manual = { kind: "manual" as const, flow: "hello-world", params: {} };

  it("sends commands to the launcher's URL, signed with SigV4 for Lambda, and waits for its answer", async () => {
    const target = connect("prod");
    expect(await target.launcher.invoke(manual)).toEqual({
      status: "launched",
      runId: "hello-world/m1",
      attempt: 1,
      state: "STARTING",
    });
    expect(lambda.commandCalls(GetFunctionUrlConfigCommand)[0]!.args[0].input).toEqual({
      FunctionName: "data-flows-prod-launcher",
    });
    expect(url.received).toEqual([
      {
        method: "POST",
        body: manual,
        signatureValid: true,
        credentialScope: expect.stringMatching(/^AKIAIOSFODNN7EXAMPLE\/\d{8}\/eu-west-1\/lambda\/aws4_request$/),
      },
    ]);
    target.close();
  });

  it("is checked by a stand-in that would notice a bad signature", async () => {
    const target = connectAws(environments.dev, new LambdaClient({ region: "eu-west-1" }), undefined, async () => ({
      ...TEST_CREDENTIALS,
      secretAccessKey: "not-the-secret-the-stand-in-knows",
    }));
    await target.launcher.invoke(manual);
    expect(url.received[0]!.signatureValid).toBe(false);
    target.close();
  });

  it("looks the launcher's URL up once for the commands of one invocation", async () => {
    const target = connect();
    await target.launcher.invoke(manual);
    await target.launcher.invoke(manual);
    expect(lambda.commandCalls(GetFunctionUrlConfigCommand)).toHaveLength(1);
    target.close();
  });

  it("reports the launcher's own refusal (HTTP 400) in one line", async () => {
    url.respond({
      status: 400,
      body: JSON.stringify({ errorType: "UnknownFlowError", errorMessage: 'unknown flow "x"' }),
    });
    const target = connect();
    await expect(target.launcher.invoke({ ...manual, flow: "x" })).rejects.toThrow('launcher: unknown flow "x"');
    target.close();
  });

  it("names the policy a caller lacks when AWS refuses the signed request (HTTP 403)", async () => {
    url.respond({ status: 403, body: JSON.stringify({ Message: "Forbidden" }) });
    const target = connect();
    await expect(target.launcher.invoke(manual)).rejects.toThrow(
      expect.objectContaining({
        name: "CliError",
        message: expect.stringContaining("needs the data-flows-dev-operator policy"),
      }),
    );
    target.close();
  });

  it.each([
    [
      "the launcher's own failure (HTTP 502 from Lambda)",
      502,
      JSON.stringify({ Message: "Internal Server Error" }),
      "Internal Server Error",
    ],
    ["a plain-text answer", 502, "Bad Gateway", "Bad Gateway"],
    ["an empty answer", 500, "", "HTTP 500 Internal Server Error"],
    ["an error split over lines", 400, JSON.stringify({ errorMessage: "first\nsecond" }), "first second"],
  ])("reads a failed request before its answer: %s is one line, never a JSON error", async (_, status, body, said) => {
    url.respond({ status, body });
    const target = connect();
    await expect(target.launcher.invoke(manual)).rejects.toThrow(
      expect.objectContaining({ name: "CliError", message: `launcher: ${said}` }),
    );
    target.close();
  });

  it("says so when a successful request answers with something other than JSON", async () => {
    url.respond({ status: 200, body: "<html>" });
    const target = connect();
    await expect(target.launcher.invoke(manual)).rejects.toThrow(
      "the launcher's URL answered with something other than JSON (HTTP 200)",
    );
    target.close();
  });

  it("says the environment is not deployed when its launcher has no URL", async () => {
    lambda.on(GetFunctionUrlConfigCommand).resolves({});
    const target = connect();
    await expect(target.launcher.invoke(manual)).rejects.toThrow("dev: the launcher has no URL (is dev deployed?)");
    target.close();
  });

  it("reads runs from the environment's table", () => {
    const target = connect();
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
