import { GetFunctionUrlConfigCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadRegistry } from "../../flows/index";
import { runCliCapturing } from "../support/cli";
import { startLauncherUrlServer } from "../support/launcher-url-server";

const registry = loadRegistry();
const REPOSITORY_ROOT = resolve(__dirname, "..", "..");

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

const ONE_LINE = /^data-flows: [^\n]+$/;

/**
 * Whatever the CLI can foresee going wrong is said in one line on stderr, with exit code 2: never a stack trace.
 */
describe("the CLI's foreseeable errors", () => {
  const dataDir = () => mkdtempSync(join(tmpdir(), "data-flows-cli-errors-"));

  it("a file to replay that does not exist", async () => {
    const result = await runCliCapturing(["events", "replay", "/nonexistent/events.jsonl"], {
      dataDir: dataDir(),
      registry,
    });
    expect(result).toEqual({
      code: 2,
      out: "",
      err: "data-flows: cannot read /nonexistent/events.jsonl: no such file",
    });
  });

  describe("a local control plane that is not there although its endpoints file says it is", () => {
    const staleDataDir = async () => {
      const dir = dataDir();
      const [apiPort, dynamoPort] = [await closedPort(), await closedPort()];
      writeFileSync(
        join(dir, "local.json"),
        JSON.stringify({
          apiUrl: `http://127.0.0.1:${apiPort}`,
          dynamoEndpoint: `http://127.0.0.1:${dynamoPort}`,
          token: "t".repeat(43),
          pid: process.pid, // alive, but not a control plane: as after a crash and a reused pid
        }),
      );
      return dir;
    };

    it.each([[["run", "hello-world"]], [["runs"]], [["show", "hello-world/20260302T1000Z"]]])("%j", async (argv) => {
      const result = await runCliCapturing(argv, { dataDir: await staleDataDir(), registry });
      expect(result.code).toBe(2);
      expect(result.err).toMatch(ONE_LINE);
      expect(result.err).toContain("the local control plane is not running");
    });
  });

  describe("a deployed environment", () => {
    const saved = { ...process.env };
    afterEach(() => {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    });

    it("without AWS credentials", async () => {
      for (const name of Object.keys(process.env)) if (/^AWS_/.test(name)) delete process.env[name];
      Object.assign(process.env, {
        AWS_SHARED_CREDENTIALS_FILE: join(tmpdir(), "no-such-credentials"),
        AWS_CONFIG_FILE: join(tmpdir(), "no-such-config"),
        AWS_EC2_METADATA_DISABLED: "true",
      });
      const result = await runCliCapturing(["--env", "dev", "runs"], { dataDir: dataDir(), registry });
      expect(result.code).toBe(2);
      expect(result.err).toMatch(ONE_LINE);
      expect(result.err).toMatch(/^data-flows: no AWS credentials for dev: /);
    });

    describe("that refuses the caller", () => {
      // Mocked only while each test runs: mockClient replaces send on every client of the class.
      const mocks: { restore(): void }[] = [];
      afterEach(() => mocks.splice(0).forEach((mock) => mock.restore()));
      const denied = (action: string) =>
        Object.assign(
          new Error(`User: arn:aws:iam::111122223333:user/dev is not authorized to perform: ${action} on resource`),
          { name: "AccessDeniedException", $fault: "client", $metadata: { httpStatusCode: 403 } },
        );

      it("reading runs", async () => {
        const dynamo = mockClient(DynamoDBDocumentClient);
        mocks.push(dynamo);
        dynamo.onAnyCommand().rejects(denied("dynamodb:Query"));
        const result = await runCliCapturing(["--env", "prod", "runs"], { dataDir: dataDir(), registry });
        expect(result.code).toBe(2);
        expect(result.err).toMatch(ONE_LINE);
        expect(result.err).toMatch(/^data-flows: access denied in prod: .*dynamodb:Query/);
      });

      /** dev's launcher URL, answering every command as Lambda answers a throttled or an unauthorised caller. */
      async function launcherUrlAnswering(status: number, body: unknown) {
        const url = await startLauncherUrlServer({ credentials: { accessKeyId: "test", secretAccessKey: "test" } });
        url.respond({ status, body: JSON.stringify(body) });
        const lambda = mockClient(LambdaClient);
        lambda.on(GetFunctionUrlConfigCommand).resolves({ FunctionUrl: url.url });
        mocks.push(lambda, { restore: () => void url.close() });
      }

      it("starting a run while a burst of fires fills the launcher", async () => {
        await launcherUrlAnswering(429, { Message: "Rate Exceeded." });
        const result = await runCliCapturing(["--env", "dev", "run", "hello-world"], { dataDir: dataDir(), registry });
        expect(result.code).toBe(2);
        expect(result.err).toMatch(ONE_LINE);
        expect(result.err).toMatch(/^data-flows: dev is busy starting runs .*try again in a minute/);
      });

      it("starting a run", async () => {
        await launcherUrlAnswering(403, { Message: "Forbidden" });
        const result = await runCliCapturing(["--env", "dev", "run", "hello-world"], { dataDir: dataDir(), registry });
        expect(result.code).toBe(2);
        expect(result.err).toMatch(/^data-flows: access denied in dev: .*needs the data-flows-dev-operator policy/);
      });

      it("finding where to send a command", async () => {
        const lambda = mockClient(LambdaClient);
        mocks.push(lambda);
        lambda.on(GetFunctionUrlConfigCommand).rejects(denied("lambda:GetFunctionUrlConfig"));
        const result = await runCliCapturing(["--env", "dev", "run", "hello-world"], { dataDir: dataDir(), registry });
        expect(result.code).toBe(2);
        expect(result.err).toMatch(/^data-flows: access denied in dev: .*lambda:GetFunctionUrlConfig/);
      });
    });
  });

  it("the installed command prints one line and exits 2, no stack", async () => {
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((done) => {
      const child = execFile(
        process.execPath,
        [join(REPOSITORY_ROOT, "bin", "data-flows.js"), "events", "replay", "/nonexistent/events.jsonl"],
        { cwd: REPOSITORY_ROOT, env: { ...process.env, DATA_FLOWS_DATA_DIR: dataDir() } },
        (_error, _stdout, stderr) => done({ code: child.exitCode, stderr }),
      );
    });
    expect({ code, stderr }).toEqual({
      code: 2,
      stderr: "data-flows: cannot read /nonexistent/events.jsonl: no such file\n",
    });
  });
});
