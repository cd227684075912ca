import type { ConnectionOptions } from "snowflake-sdk";
import { FlowConfigurationError } from "../runtime/flow-context";
import { normalizePrivateKey } from "./snowflake-key";

/** The params that choose where inside the account a session works. No param chooses the account. */
export const SNOWFLAKE_SESSION_PARAMS = ["warehouse", "database", "schema", "role"] as const;

/** `orgname-account_name`, or a legacy locator with its region (and cloud), e.g. `xy12345.eu-west-1`. */
const ACCOUNT_IDENTIFIER = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

/**
 * The snowflake-sdk connection options of a flow run. The account, which decides the host the key-pair JWT is sent
 * to, comes from the SNOWFLAKE_ACCOUNT secret alone; params pick only the session's warehouse, database, schema and
 * role, by name, so no param can set `account`, `host`, `accessUrl`, `region`, `port`, `protocol` or a proxy.
 */
export function snowflakeConnectionOptions(
  secrets: Readonly<Record<string, string>>,
  params: Readonly<Record<string, string>>,
): ConnectionOptions {
  const account = (secrets.SNOWFLAKE_ACCOUNT ?? "").trim();
  if (!ACCOUNT_IDENTIFIER.test(account)) {
    throw new FlowConfigurationError(
      "SNOWFLAKE_ACCOUNT is not a Snowflake account identifier (orgname-account_name, or a locator such as xy12345.eu-west-1)",
    );
  }
  const session: Partial<Record<(typeof SNOWFLAKE_SESSION_PARAMS)[number], string>> = {};
  for (const name of SNOWFLAKE_SESSION_PARAMS) if (params[name]) session[name] = params[name];
  return {
    ...session,
    account,
    username: secrets.SNOWFLAKE_USER ?? "",
    authenticator: "SNOWFLAKE_JWT",
    privateKey: normalizePrivateKey(secrets.SNOWFLAKE_PRIVATE_KEY ?? ""),
    application: "data-flows",
  };
}
