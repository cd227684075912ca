import { Logger } from "@aws-lambda-powertools/logger";
import { loadRegistry } from "../../flows/index";

const registry = loadRegistry();
import { flowModules } from "../../flows/modules";
import { ExitCode } from "../../contracts/exit-codes";
import { runFlow } from "../../flows/runtime/run-flow";
import { startDbtCloudServer } from "../support/dbt-cloud-server";

const ACCOUNT = "70403103932161";
const TOKEN = "dbtc_test_token";

describe("the dbt-nightly flow against a dbt Cloud stand-in", () => {
  let dbt: Awaited<ReturnType<typeof startDbtCloudServer>>;
  let logged: string;

  beforeAll(async () => {
    dbt = await startDbtCloudServer({ accountId: ACCOUNT, token: TOKEN });
  });
  afterAll(() => dbt.close());
  beforeEach(() => {
    dbt.requests.length = 0;
    dbt.jobs.clear();
    logged = "";
    for (const stream of [process.stdout, process.stderr]) {
      jest.spyOn(stream, "write").mockImplementation((chunk) => {
        logged += String(chunk);
        return true;
      });
    }
  });
  afterEach(() => jest.restoreAllMocks());

  // The stand-in listens on 127.0.0.1: a loopback host, which the flow may call only in Local (see
  // secret-exfiltration.test.ts for Dev and Prod, and for the allow-list).
  function run(params: Record<string, string>, options: { stop?: AbortSignal; env?: Record<string, string> } = {}) {
    return runFlow({
      env: {
        DATA_FLOWS_FLOW: "dbt-nightly",
        DATA_FLOWS_ENV: "Local",
        DATA_FLOWS_RUN_ID: "dbt-nightly/20260302T0200Z",
        DATA_FLOWS_ATTEMPT: "1",
        DATA_FLOWS_INTERVAL_START: "2026-03-01T10:00:00.000Z",
        DATA_FLOWS_INTERVAL_END: "2026-03-02T10:00:00.000Z",
        DATA_FLOWS_PARAMS: JSON.stringify({ job_id: "42", dbt_cloud_host: dbt.url, poll_seconds: "0.01", ...params }),
        DBT_CLOUD_TOKEN: TOKEN,
        DBT_CLOUD_ACCOUNT_ID: ACCOUNT,
        ...options.env,
      },
      registry,
      modules: flowModules,
      stop: options.stop ?? new AbortController().signal,
      logger: new Logger({ serviceName: "test", logLevel: "INFO" }),
    });
  }

  it("triggers the job with a cause naming the run, follows it to success and logs the run URL", async () => {
    dbt.jobs.set("42", { statuses: [1, 3, 3, 10] });
    expect(await run({})).toBe(ExitCode.success);
    expect(dbt.requests[0]).toMatchObject({
      method: "POST",
      path: `/api/v2/accounts/${ACCOUNT}/jobs/42/run/`,
      body: { cause: "data-flows dbt-nightly/20260302T0200Z attempt 1" },
      authorization: `Token ${TOKEN}`,
    });
    expect(dbt.requests.filter((request) => request.method === "GET")).toHaveLength(4);
    expect(logged).toContain("https://cloud.example/runs/");
  });

  it("passes the git branch and steps override", async () => {
    dbt.jobs.set("42", { statuses: [10] });
    await run({ git_branch: "hotfix", steps_override: '["dbt build --select orders+"]' });
    expect(dbt.requests[0]!.body).toMatchObject({
      git_branch: "hotfix",
      steps_override: ["dbt build --select orders+"],
    });
  });

  it("fails with dbt's own error message when the run errors", async () => {
    dbt.jobs.set("42", {
      statuses: [3, 20],
      statusMessage: 'Database Error in model orders: relation "raw.orders" does not exist',
    });
    expect(await run({})).toBe(ExitCode.flowError);
    expect(logged).toContain('relation \\"raw.orders\\" does not exist');
  });

  it("fails when the run is cancelled in dbt Cloud", async () => {
    dbt.jobs.set("42", { statuses: [3, 30] });
    expect(await run({})).toBe(ExitCode.flowError);
    expect(logged).toContain("was cancelled");
  });

  it("treats a refused token as a configuration error (exit 78) without retrying", async () => {
    dbt.jobs.set("42", { statuses: [10] });
    expect(await run({}, { env: { DBT_CLOUD_TOKEN: "wrong" } })).toBe(ExitCode.configurationError);
    expect(dbt.requests).toHaveLength(1);
    expect(logged).toContain("dbt Cloud refused the token (401)");
    expect(logged).not.toContain("wrong");
  });

  it("waits out a 429 and carries on", async () => {
    dbt.jobs.set("42", { statuses: [10] });
    dbt.fail({ status: 429, retryAfter: "0.01" });
    expect(await run({})).toBe(ExitCode.success);
    expect(dbt.requests[0]!.path).toBe(dbt.requests[1]!.path);
  });

  it("retries a 503 with backoff", async () => {
    dbt.jobs.set("42", { statuses: [10] });
    dbt.fail({ status: 503 });
    expect(await run({})).toBe(ExitCode.success);
  });

  it("cancels the dbt Cloud run when the task is stopped, and exits 143", async () => {
    dbt.jobs.set("42", { statuses: [3] });
    const stop = new AbortController();
    const pending = run({}, { stop: stop.signal });
    while (!dbt.requests.some((request) => request.method === "GET"))
      await new Promise((resolve) => setTimeout(resolve, 5));
    stop.abort(new Error("SIGTERM"));
    expect(await pending).toBe(ExitCode.stopped);
    expect(dbt.requests.at(-1)).toMatchObject({
      method: "POST",
      path: `/api/v2/accounts/${ACCOUNT}/runs/1006/cancel/`,
    });
  });

  it("exits 78 naming the SSM parameter when the token is missing", async () => {
    expect(await run({}, { env: { DBT_CLOUD_TOKEN: "", DATA_FLOWS_ENV: "Dev" } })).toBe(ExitCode.configurationError);
    expect(logged).toContain("create SSM parameter /DataFlows/Dev/DBT_CLOUD_TOKEN");
  });
});
