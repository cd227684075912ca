import { Logger } from "@aws-lambda-powertools/logger";
import { ExitCode } from "../../contracts/exit-codes";
import { loadRegistry } from "../../flows/index";
import { flowModules } from "../../flows/modules";
import { runFlow } from "../../flows/runtime/run-flow";
import { startCaptureServer } from "../support/capture-server";
import { startDbtCloudServer } from "../support/dbt-cloud-server";
import { routeHosts } from "../support/route-hosts";

const registry = loadRegistry();
const TOKEN = "dbtc_s3cr3t_token_never_leaves";
const ACCOUNT = "70403103932161";

/**
 * The review's attack: whoever may start a run passes `--param dbt_cloud_host=<their server>` and dbt-nightly sends the
 * dbt Cloud token there. A capture server on 127.0.0.1 plays the attacker.
 */
describe("a param cannot redirect the dbt Cloud token", () => {
  let attacker: Awaited<ReturnType<typeof startCaptureServer>>;
  let dbt: Awaited<ReturnType<typeof startDbtCloudServer>>;
  let logged: string;

  beforeAll(async () => {
    attacker = await startCaptureServer();
    dbt = await startDbtCloudServer({ accountId: ACCOUNT, token: TOKEN });
    dbt.jobs.set("42", { statuses: [10] });
  });
  afterAll(async () => {
    await attacker.close();
    await dbt.close();
  });
  beforeEach(() => {
    attacker.received.length = 0;
    dbt.requests.length = 0;
    logged = "";
    for (const stream of [process.stdout, process.stderr]) {
      jest.spyOn(stream, "write").mockImplementation((chunk) => {
        logged += String(chunk);
        return true;
      });
    }
  });
  afterEach(() => jest.restoreAllMocks());

  /** Runs dbt-nightly as the launcher would; `host` undefined keeps the definition's default. */
  function run(environment: string, host: string | undefined) {
    return runFlow({
      env: {
        DATA_FLOWS_FLOW: "dbt-nightly",
        DATA_FLOWS_ENV: environment,
        DATA_FLOWS_RUN_ID: "dbt-nightly/20260302T0200Z",
        DATA_FLOWS_ATTEMPT: "1",
        DATA_FLOWS_INTERVAL_START: "2026-03-01T10:00:00.000Z",
        DATA_FLOWS_INTERVAL_END: "2026-03-02T10:00:00.000Z",
        DATA_FLOWS_PARAMS: JSON.stringify({
          job_id: "42",
          poll_seconds: "0.01",
          ...(host !== undefined && { dbt_cloud_host: host }),
        }),
        DBT_CLOUD_TOKEN: TOKEN,
        DBT_CLOUD_ACCOUNT_ID: ACCOUNT,
      },
      registry,
      modules: flowModules,
      stop: new AbortController().signal,
      logger: new Logger({ serviceName: "test", logLevel: "INFO" }),
    });
  }

  it.each(["Dev", "Prod"])(
    "in %s, refuses a host outside the allow-list with exit 78: the attacker receives nothing",
    async (environment) => {
      const code = await run(environment, attacker.url);
      expect(attacker.received).toEqual([]);
      expect(code).toBe(ExitCode.configurationError);
      expect(logged).toContain("param dbt_cloud_host points at loopback host 127.0.0.1");
      expect(logged).toContain('allowedHosts of flow \\"dbt-nightly\\": *.us1.dbt.com, *.eu1.dbt.com');
      expect(logged).not.toContain(TOKEN);
    },
  );

  it("in Local, lets the same loopback URL through (the local stand-in case)", async () => {
    expect(await run("Local", attacker.url)).toBe(ExitCode.success);
    expect(attacker.received[0]).toMatchObject({ method: "POST", authorization: `Token ${TOKEN}` });
  });

  it("in Local, still refuses a host that is neither loopback nor on the allow-list", async () => {
    routeHosts({ "attacker.example": attacker.url });
    const code = await run("Local", "https://attacker.example");
    expect(attacker.received).toEqual([]);
    expect(code).toBe(ExitCode.configurationError);
    expect(logged).toContain(
      'param dbt_cloud_host points at host \\"attacker.example\\", which flow \\"dbt-nightly\\" may not send requests to',
    );
  });

  it.each([
    ["a look-alike suffix", "https://ab123.us1.dbt.com.attacker.example"],
    ["an allowed host as user info", "https://ab123.us1.dbt.com@attacker.example"],
    ["an allowed host in the path", "https://attacker.example/ab123.us1.dbt.com"],
    ["an allowed host in the fragment", "https://attacker.example#@ab123.us1.dbt.com"],
  ])("refuses %s: the attacker receives nothing", async (_, host) => {
    routeHosts({ "attacker.example": attacker.url });
    expect(await run("Dev", host)).toBe(ExitCode.configurationError);
    expect(attacker.received).toEqual([]);
  });

  it.each(["Dev", "Local"])(
    "in %s, refuses plain HTTP to an allowed host: the token never travels without TLS",
    async (environment) => {
      routeHosts({ "ab123.us1.dbt.com": attacker.url });
      expect(await run(environment, "http://ab123.us1.dbt.com")).toBe(ExitCode.configurationError);
      expect(attacker.received).toEqual([]);
      expect(logged).toContain("param dbt_cloud_host must use HTTPS");
    },
  );

  it.each([
    ["an account's own access URL", "https://ab123.us1.dbt.com"],
    ["the EMEA access URL", "https://ab123.eu1.dbt.com/"],
    ["the definition's default host", undefined],
  ])("sends the token to an allowed host: %s", async (_, host) => {
    routeHosts({ "ab123.us1.dbt.com": dbt.url, "ab123.eu1.dbt.com": dbt.url, "cloud.getdbt.com": dbt.url });
    expect(await run("Prod", host)).toBe(ExitCode.success);
    expect(dbt.requests[0]).toMatchObject({
      method: "POST",
      path: `/api/v2/accounts/${ACCOUNT}/jobs/42/run/`,
      authorization: `Token ${TOKEN}`,
    });
  });

  it("does not follow an allowed host's redirect: the token stays with the host that was checked", async () => {
    const redirecting = await startCaptureServer((request, response) => {
      response.writeHead(307, { location: `${attacker.url}${request.url}` });
      response.end();
    });
    try {
      routeHosts({ "ab123.us1.dbt.com": redirecting.url });
      expect(await run("Prod", "https://ab123.us1.dbt.com")).toBe(ExitCode.configurationError);
      expect(redirecting.received).toHaveLength(1);
      expect(attacker.received).toEqual([]);
      expect(logged).toContain("the token never follows a redirect");
    } finally {
      await redirecting.close();
    }
  });
});
