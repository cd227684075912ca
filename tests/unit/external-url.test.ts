import { loadRegistry } from "../../flows/index";
import { DbtCloudClient } from "../../flows/lib/dbt-cloud";
import { isAllowedHost } from "../../flows/registry/allowed-hosts";
import { AllowedUrl, checkExternalUrl } from "../../flows/runtime/external-url";
import { FlowConfigurationError } from "../../flows/runtime/flow-context";

const allowedHosts = ["cloud.getdbt.com", "*.us1.dbt.com"];
const check = (raw: string, environment = "Dev") =>
  checkExternalUrl(raw, "param api_host", { flow: "calls-out", allowedHosts, environment });

describe("the external URL check", () => {
  it.each([
    ["a listed host", "https://cloud.getdbt.com", "https://cloud.getdbt.com/"],
    ["a listed host with a path", "https://cloud.getdbt.com/base/", "https://cloud.getdbt.com/base/"],
    ["a listed host in capitals", "HTTPS://CLOUD.GETDBT.COM", "https://cloud.getdbt.com/"],
    ["the explicit default port", "https://cloud.getdbt.com:443", "https://cloud.getdbt.com/"],
    ["one label under a wildcard", "https://ab123.us1.dbt.com", "https://ab123.us1.dbt.com/"],
  ])("accepts %s", (_, raw, href) => {
    expect(check(raw).href).toBe(href);
  });

  it.each([
    ["a host not on the list", "https://attacker.example", 'points at host "attacker.example"'],
    ["a look-alike suffix", "https://cloud.getdbt.com.attacker.example", "points at host"],
    ["a look-alike prefix", "https://evilus1.dbt.com", "points at host"],
    ["the wildcard's own domain", "https://us1.dbt.com", "points at host"],
    ["two labels under a one-label wildcard", "https://a.b.us1.dbt.com", "points at host"],
    ["a listed host as user info", "https://cloud.getdbt.com@attacker.example", "must not carry credentials"],
    ["credentials for a listed host", "https://user:pw@cloud.getdbt.com", "must not carry credentials"],
    ["plain HTTP to a listed host", "http://cloud.getdbt.com", "must use HTTPS"],
    ["another scheme", "ftp://cloud.getdbt.com", "must use HTTPS"],
    ["another port", "https://cloud.getdbt.com:8443", "must use the default HTTPS port"],
    ["a host name without a scheme", "cloud.getdbt.com", "is not an absolute URL"],
    ["nothing at all", "", "is not an absolute URL"],
    ["127.0.0.1 outside Local", "http://127.0.0.1:8080", "loopback host 127.0.0.1"],
    ["127.0.0.1 spelled as a number", "http://2130706433", "loopback host 127.0.0.1"],
    ["localhost outside Local", "http://localhost:8080", "loopback host localhost"],
    ["::1 outside Local", "http://[::1]:8080", "loopback host [::1]"],
  ])("refuses %s in Dev", (_, raw, why) => {
    expect(() => check(raw)).toThrow(FlowConfigurationError);
    expect(() => check(raw)).toThrow(why);
  });

  it("names the source and every allowed host in its error", () => {
    expect(() => check("https://attacker.example")).toThrow(
      'param api_host points at host "attacker.example", which flow "calls-out" may not send requests to; allowedHosts of flow "calls-out": cloud.getdbt.com, *.us1.dbt.com (HTTPS only)',
    );
  });

  it("says so when the flow declares no hosts at all", () => {
    expect(() =>
      checkExternalUrl("https://cloud.getdbt.com", "param api_host", {
        flow: "quiet",
        allowedHosts: [],
        environment: "Prod",
      }),
    ).toThrow('flow "quiet" declares no allowedHosts');
  });

  it.each(["http://127.0.0.1:8080/", "http://localhost:8080/", "http://[::1]:8080/", "https://127.0.0.1:8443/"])(
    "accepts loopback %s when DATA_FLOWS_ENV is Local",
    (raw) => {
      expect(check(raw, "Local").href).toBe(raw);
    },
  );

  it.each([
    ["Local written otherwise", "http://127.0.0.1:8080", "local"],
    ["Prod", "http://127.0.0.1:8080", "Prod"],
  ])("refuses loopback in %s", (_, raw, environment) => {
    expect(() => check(raw, environment)).toThrow("allowed only when DATA_FLOWS_ENV is Local");
  });

  it.each([
    ["a host not on the list", "https://attacker.example", "points at host"],
    ["plain HTTP to a host not on the list", "http://attacker.example", "points at host"],
    ["plain HTTP to a listed host", "http://cloud.getdbt.com", "must use HTTPS"],
    ["loopback that is not HTTP", "ftp://127.0.0.1/", "is not HTTP(S)"],
  ])("still refuses %s in Local", (_, raw, why) => {
    expect(() => check(raw, "Local")).toThrow(why);
    expect(() => check(raw, "Local")).toThrow("in Local also 127.0.0.1, ::1 and localhost");
  });
});

describe("a checked URL", () => {
  it("appends a path without ever leaving its origin", () => {
    const base = check("https://cloud.getdbt.com/base/?q=1#f");
    expect(base.resolve("api/v2/accounts/1/").href).toBe("https://cloud.getdbt.com/base/api/v2/accounts/1/");
    expect(base.resolve("//attacker.example/x").origin).toBe("https://cloud.getdbt.com");
    expect(base.resolve("https://attacker.example/x").origin).toBe("https://cloud.getdbt.com");
  });

  it("cannot be made except by the check, even by a caller that ignores `private`", () => {
    const Unchecked = AllowedUrl as unknown as new (key: symbol, url: URL) => AllowedUrl;
    expect(() => new Unchecked(Symbol("AllowedUrl"), new URL("https://attacker.example"))).toThrow(TypeError);
  });

  it("is the only base URL the dbt Cloud client takes", () => {
    const options = { accountId: "1", token: "dbtc_token", maxAttempts: 1, maxRetryAfterSeconds: 1 };
    // @ts-expect-error a string is not an AllowedUrl: the compiler refuses an unchecked host
    expect(() => new DbtCloudClient({ ...options, baseUrl: "https://attacker.example" })).toThrow(TypeError);
    expect(() => new DbtCloudClient({ ...options, baseUrl: check("https://ab123.us1.dbt.com") })).not.toThrow();
  });
});

describe("allowed host matching", () => {
  it.each([
    ["cloud.getdbt.com", ["cloud.getdbt.com"], true],
    ["cloud.getdbt.com", ["getdbt.com"], false],
    ["ab123.us1.dbt.com", ["*.us1.dbt.com"], true],
    ["us1.dbt.com", ["*.us1.dbt.com"], false],
    ["a.b.us1.dbt.com", ["*.us1.dbt.com"], false],
    ["xus1.dbt.com", ["*.us1.dbt.com"], false],
  ] as const)("%s against %j: %s", (hostname, hosts, allowed) => {
    expect(isAllowedHost(hostname, hosts)).toBe(allowed);
  });
});

describe("the shipped dbt-nightly flow", () => {
  const flow = loadRegistry().require("dbt-nightly");
  const checkShipped = (raw: string) =>
    checkExternalUrl(raw, "param dbt_cloud_host", {
      flow: flow.name,
      allowedHosts: flow.allowedHosts,
      environment: "Prod",
    });

  it("allows its own default host, so scheduled runs keep working", () => {
    expect(checkShipped(String(flow.params.dbt_cloud_host!.parse(undefined))).origin).toBe("https://cloud.getdbt.com");
  });

  it.each([
    "https://ab123.us1.dbt.com",
    "https://ab123.eu1.dbt.com",
    "https://ab123.au1.dbt.com",
    "https://ab123.jp1.dbt.com",
    "https://ab123.us2.dbt.com",
    "https://ab123.eu2.dbt.com",
    "https://ab123.au2.dbt.com",
    "https://ab123.us3.dbt.com",
    "https://ab123.eu3.dbt.com",
    "https://ab123.eu4.dbt.com",
    "https://emea.dbt.com",
    "https://au.dbt.com",
  ])("allows dbt's documented access URL %s", (raw) => {
    expect(() => checkShipped(raw)).not.toThrow();
  });
});
