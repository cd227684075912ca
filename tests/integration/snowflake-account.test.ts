import { Logger } from "@aws-lambda-powertools/logger";
import { generateKeyPairSync } from "node:crypto";
import type { ConnectionOptions } from "snowflake-sdk";
import { ExitCode } from "../../contracts/exit-codes";
import { loadRegistry } from "../../flows/index";
import { snowflakeConnectionOptions } from "../../flows/lib/snowflake-connection";
import { flowModules } from "../../flows/modules";
import { runFlow } from "../../flows/runtime/run-flow";

// The account decides the host snowflake-sdk signs in to with the key: capture what the flow asks the SDK for.
const created: ConnectionOptions[] = [];
jest.mock("snowflake-sdk", () => ({
  __esModule: true,
  default: {
    configure: () => undefined,
    createConnection: (options: ConnectionOptions) => {
      created.push(options);
      return {
        connectAsync: async () => undefined,
        execute: (statement: { complete: (error: undefined, stmt: object) => void }) => {
          setImmediate(() => statement.complete(undefined, { getNumUpdatedRows: () => undefined }));
          return {};
        },
        destroy: (callback: () => void) => callback(),
      };
    },
  },
}));

const registry = loadRegistry();
const privateKey = generateKeyPairSync("rsa", { modulusLength: 2048 })
  .privateKey.export({ type: "pkcs8", format: "pem" })
  .toString();
const secrets = { SNOWFLAKE_ACCOUNT: "myorg-prod", SNOWFLAKE_USER: "DATA_FLOWS", SNOWFLAKE_PRIVATE_KEY: privateKey };

/** Every param a caller might try in order to move the connection elsewhere. */
const hostileParams = {
  account: "attacker",
  SNOWFLAKE_ACCOUNT: "attacker",
  host: "attacker.example",
  accessUrl: "https://attacker.example",
  region: "attacker",
  port: "8443",
  protocol: "http",
  proxyHost: "attacker.example",
  proxyPort: "3128",
  username: "attacker",
  authenticator: "SNOWFLAKE",
};

describe("orders-daily's Snowflake account", () => {
  beforeEach(() => {
    created.length = 0;
    for (const stream of [process.stdout, process.stderr]) jest.spyOn(stream, "write").mockReturnValue(true);
  });
  afterEach(() => jest.restoreAllMocks());

  const runOrdersDaily = (params: Record<string, string>) =>
    runFlow({
      env: {
        DATA_FLOWS_FLOW: "orders-daily",
        DATA_FLOWS_ENV: "Prod",
        DATA_FLOWS_RUN_ID: "orders-daily/20260302T0600Z",
        DATA_FLOWS_ATTEMPT: "1",
        DATA_FLOWS_INTERVAL_START: "2026-03-01T06:00:00.000Z",
        DATA_FLOWS_INTERVAL_END: "2026-03-02T06:00:00.000Z",
        DATA_FLOWS_PARAMS: JSON.stringify(params),
        ...secrets,
      },
      registry,
      modules: flowModules,
      stop: new AbortController().signal,
      logger: new Logger({ serviceName: "test", logLevel: "INFO" }),
    });
  const SESSION_KEYS = [
    "account",
    "application",
    "authenticator",
    "database",
    "privateKey",
    "role",
    "schema",
    "username",
    "warehouse",
  ].sort();

  it("comes from the SNOWFLAKE_ACCOUNT secret; params choose only the session's warehouse, database, schema, role", async () => {
    expect(await runOrdersDaily({ warehouse: "ADHOC" })).toBe(ExitCode.success);
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ account: "myorg-prod", username: "DATA_FLOWS", authenticator: "SNOWFLAKE_JWT" });
    expect(Object.keys(created[0]!).sort()).toEqual(SESSION_KEYS);
    expect(created[0]).toMatchObject({
      warehouse: "ADHOC",
      database: "ANALYTICS",
      schema: "ORDERS",
      role: "TRANSFORMER",
    });
  });

  it("is never reached with params that would move the connection: the flow does not take them (exit 78)", async () => {
    expect(await runOrdersDaily({ ...hostileParams, warehouse: "ADHOC" })).toBe(ExitCode.configurationError);
    expect(created).toEqual([]);
  });

  it("takes nothing but the session's names from params, whatever else they hold", () => {
    const options = snowflakeConnectionOptions(secrets, { ...hostileParams, warehouse: "ADHOC" });
    expect(Object.keys(options).sort()).toEqual(
      SESSION_KEYS.filter((key) => !["database", "role", "schema"].includes(key)),
    );
    expect(options.account).toBe("myorg-prod");
  });

  it.each([
    "myorg-prod",
    "myorg-my_account",
    "xy12345.eu-west-1",
    "xy12345.us-east-2.aws",
    "xy12345.eu-west-1.privatelink",
  ])("accepts the account identifier %s", (account) => {
    expect(snowflakeConnectionOptions({ ...secrets, SNOWFLAKE_ACCOUNT: account }, {}).account).toBe(account);
  });

  it.each(["attacker.example/x", "https://myorg-prod.snowflakecomputing.com", "myorg prod", "myorg@attacker", ""])(
    "refuses %j as SNOWFLAKE_ACCOUNT without echoing it",
    (account) => {
      // The whole message is fixed: the value never appears in it.
      expect(() => snowflakeConnectionOptions({ ...secrets, SNOWFLAKE_ACCOUNT: account }, {})).toThrow(
        /^SNOWFLAKE_ACCOUNT is not a Snowflake account identifier \(orgname-account_name, or a locator such as xy12345\.eu-west-1\)$/,
      );
    },
  );
});
