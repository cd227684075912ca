import type { FlowInput } from "../../flows/registry/flow-definition";
import { defineRegistry, FlowDefinitionError, UnknownFlowError } from "../../flows/registry/flow-registry";
import { loadRegistry } from "../../flows/index";

const registry = loadRegistry();
import { flowModules } from "../../flows/modules";

const valid: FlowInput = {
  name: "orders-daily",
  description: "Loads yesterday's orders",
  owner: "@data-eng",
  schedule: { cron: "0 6 * * *", timezone: "Europe/London" },
};

function issuesOf(input: Partial<FlowInput> & Record<string, unknown>) {
  try {
    defineRegistry([{ ...valid, ...input } as FlowInput]);
  } catch (error) {
    if (error instanceof FlowDefinitionError) return error.issues;
    throw error;
  }
  return [];
}

describe("flow definitions", () => {
  it("applies the documented defaults", () => {
    const flow = defineRegistry([valid]).require("orders-daily");
    expect(flow).toMatchObject({
      cpu: 256,
      memoryMiB: 512,
      timeoutMinutes: 60,
      retries: 0,
      overlap: "skip",
      secrets: [],
      params: {},
      allowedHosts: [],
      schedule: { enabled: true, timezone: "Europe/London" },
    });
  });

  it.each([
    ["an upper-case name", { name: "Orders" }, "name"],
    ["a name with a dot", { name: "orders.daily" }, "name"],
    ["a 33-character name", { name: "a".repeat(33) }, "name"],
    ["a name ending in a dash", { name: "orders-" }, "name"],
    ["a bad cron", { schedule: { cron: "0 25 * * *" } }, "schedule.cron"],
    ["an unknown timezone", { schedule: { cron: "0 6 * * *", timezone: "Europe/Atlantis" } }, "schedule.timezone"],
    ["both cron and rate", { schedule: { cron: "0 6 * * *", rate: "1 hour" } }, "schedule"],
    ["an unknown secret", { secrets: ["PREFECT_API_KEY"] }, "secrets.0"],
    ["a secret listed twice", { secrets: ["DBT_CLOUD_TOKEN", "DBT_CLOUD_TOKEN"] }, "secrets"],
    ["memory that does not fit the cpu", { cpu: 256, memoryMiB: 4096 }, "memoryMiB"],
    ["a cpu Fargate does not offer", { cpu: 300, memoryMiB: 512 }, "cpu"],
    ["a zero timeout", { timeoutMinutes: 0 }, "timeoutMinutes"],
    ["a timeout over a day", { timeoutMinutes: 24 * 60 + 1 }, "timeoutMinutes"],
    ["negative retries", { retries: -1 }, "retries"],
    ["more than five retries", { retries: 6 }, "retries"],
    ["an unknown overlap policy", { overlap: "queue" }, "overlap"],
    ["a non-string param", { params: { limit: 5 } }, "params.limit"],
    ["an unknown field", { schedul: {} }, "(definition)"],
    ["an empty owner", { owner: "" }, "owner"],
  ])("rejects %s, naming the field", (_, input, field) => {
    expect(issuesOf(input as Record<string, unknown>).map((issue) => issue.field)).toContain(field);
  });

  it.each([
    ["a URL", "https://cloud.getdbt.com", "is a URL: list the host name only"],
    ["a scheme-relative URL", "//cloud.getdbt.com", "has a path"],
    ["a path", "cloud.getdbt.com/api", "has a path"],
    ["a port", "cloud.getdbt.com:443", "has a port"],
    ["credentials", "token@cloud.getdbt.com", "has credentials"],
    ["a bare wildcard", "*", "has a wildcard other than a leading"],
    ["a wildcard inside the name", "us1.*.dbt.com", "has a wildcard other than a leading"],
    ["a wildcard without its dot", "*dbt.com", "has a wildcard other than a leading"],
    ["two wildcards", "*.*.dbt.com", "has a wildcard other than a leading"],
    ["a wildcard over a top-level domain", "*.com", 'is not "*." followed by a host name of two labels'],
    ["an IPv4 address", "203.0.113.7", "is an IP address"],
    ["an IPv6 address", "::1", "is an IP address"],
    ["a bracketed IPv6 address", "[::1]", "is an IP address"],
    ["localhost", "localhost", "is a loopback host"],
    ["upper-case letters", "Cloud.GetDbt.com", "has upper-case letters: write host names in lower case"],
    ["a single label", "intranet", "is not a host name"],
    ["a trailing dot", "cloud.getdbt.com.", "is not a host name"],
    ["a label ending in a dash", "cloud-.getdbt.com", "is not a host name"],
    ["an empty entry", "", "is not a host name"],
  ])("rejects an allowedHosts entry with %s, naming the flow, the field and what to write", (_, entry, why) => {
    let message = "";
    try {
      defineRegistry([{ ...valid, allowedHosts: ["cloud.getdbt.com", entry] }]);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(`flow "orders-daily", field "allowedHosts.1": "${entry}" ${why}`);
  });

  it("rejects a host listed twice and an entry that is not a string", () => {
    expect(issuesOf({ allowedHosts: ["a.example.com", "a.example.com"] })).toEqual([
      { flow: "orders-daily", field: "allowedHosts", message: "allowedHosts lists a host twice" },
    ]);
    expect(issuesOf({ allowedHosts: [443] } as Record<string, unknown>).map((issue) => issue.field)).toEqual([
      "allowedHosts.0",
    ]);
  });

  it("accepts host names and one-label wildcards", () => {
    const hosts = ["cloud.getdbt.com", "*.us1.dbt.com", "xn--bcher-kva.example", "a-b.c1.example.co.uk"];
    expect(defineRegistry([{ ...valid, allowedHosts: hosts }]).require("orders-daily").allowedHosts).toEqual(hosts);
  });

  it("names the flow in every message", () => {
    expect(() => defineRegistry([{ ...valid, timeoutMinutes: 0 }])).toThrow(
      /flow "orders-daily", field "timeoutMinutes"/,
    );
  });

  it("names a flow without a usable name by its position", () => {
    expect(() => defineRegistry([valid, { ...valid, name: "" }])).toThrow(/flow "#2", field "name"/);
  });

  it("reports every problem of every flow at once", () => {
    const bad = [
      { ...valid, retries: 9 },
      { ...valid, name: "other", cpu: 3 },
    ];
    expect(() => defineRegistry(bad)).toThrow(
      expect.objectContaining({
        issues: [expect.objectContaining({ flow: "orders-daily" }), expect.objectContaining({ flow: "other" })],
      }),
    );
  });

  it("rejects an upstream flow that does not exist", () => {
    expect(() => defineRegistry([{ ...valid, upstream: ["orders-hourly"] }])).toThrow(
      /flow "orders-daily", field "upstream.0": no flow named "orders-hourly"/,
    );
  });

  it("rejects a flow that follows itself", () => {
    expect(() => defineRegistry([{ ...valid, upstream: ["orders-daily"] }])).toThrow(/cannot follow itself/);
  });

  it("knows which flows follow a flow", () => {
    const flows = defineRegistry([valid, { ...valid, name: "dbt-build", upstream: ["orders-daily"] }]);
    expect(flows.downstreamOf("orders-daily").map((flow) => flow.name)).toEqual(["dbt-build"]);
  });

  it("rejects two flows with the same name", () => {
    expect(() => defineRegistry([valid, valid])).toThrow(/flow "orders-daily", field "name": another flow/);
  });

  it("explains the valid memory sizes for the chosen cpu", () => {
    expect(() => defineRegistry([{ ...valid, cpu: 512, memoryMiB: 512 }])).toThrow(/1024\.\.4096 in steps of 1024/);
  });
});

describe("a flow that names its image and command (run)", () => {
  const python = (command: unknown) => ({ run: { image: "python", command } }) as never;

  it("takes one of the images this repository builds, and the command as a list of arguments", () => {
    const flow = defineRegistry([{ ...valid, run: { image: "python", command: ["python", "-m", "flows.load"] } }]);
    expect(flow.require("orders-daily").run).toEqual({ image: "python", command: ["python", "-m", "flows.load"] });
  });

  it("refuses an image this repository does not build, naming the ones it does", () => {
    expect(issuesOf({ run: { image: "ruby", command: ["ruby", "x.rb"] } } as never)).toEqual([
      {
        flow: "orders-daily",
        field: "run.image",
        message: "image must be one of the images this repository builds: node, python",
      },
    ]);
  });

  it("refuses a shell string, showing the list it should be", () => {
    expect(issuesOf(python("python -m flows.load"))).toEqual([
      expect.objectContaining({ field: "run.command", message: expect.stringContaining("never a shell string") }),
    ]);
    expect(issuesOf(python(["python -m flows.load"]))).toEqual([
      {
        flow: "orders-daily",
        field: "run.command.0",
        message:
          '"python -m flows.load" is a shell string: split it into a list of arguments, e.g. ["python","-m","flows.load"]',
      },
    ]);
  });

  it("refuses a command that runs shell code through a shell", () => {
    expect(issuesOf(python(["sh", "-c", "python x.py && rm -rf /tmp"]))).toEqual([
      expect.objectContaining({ field: "run.command.0", message: expect.stringContaining("not through sh") }),
    ]);
  });

  it("refuses an empty command and an empty argument", () => {
    expect(issuesOf(python([]))).toEqual([expect.objectContaining({ field: "run.command" })]);
    expect(issuesOf(python(["python", ""]))).toEqual([expect.objectContaining({ field: "run.command.1" })]);
  });

  it("refuses a run without its command, or with a field it does not know", () => {
    expect(issuesOf({ run: { image: "python" } } as never)).toEqual([
      expect.objectContaining({ field: "run.command" }),
    ]);
    expect(issuesOf({ run: { image: "python", command: ["python"], shell: true } } as never)).toEqual([
      expect.objectContaining({ field: "run" }),
    ]);
  });
});

describe("the registry", () => {
  it("answers an unknown flow with the flows it knows", () => {
    expect(() => defineRegistry([valid]).require("nope")).toThrow(UnknownFlowError);
    expect(() => defineRegistry([valid]).require("nope")).toThrow(/known flows: orders-daily/);
  });

  it("has code for every flow that runs on the standard runtime, and no code without a flow", () => {
    const runtimeFlows = registry.flows.filter((flow) => flow.run === undefined).map((flow) => flow.name);
    expect(Object.keys(flowModules).sort()).toEqual(runtimeFlows.sort());
  });

  it("ships a credential-free flow for the local demo", () => {
    expect(registry.require("hello-world").secrets).toEqual([]);
  });
});
