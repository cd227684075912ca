import { checkExternalUrl } from "../../flows/runtime/external-url";
import { describeWithPython, runPython } from "../support/python";

/**
 * The Python helper's host check against the TypeScript runtime's, whose URL parsing is Node's WHATWG `URL`: the
 * parser browsers use, which nobody here wrote. Python's urllib reads some URLs differently, so the helper refuses
 * those outright; where it is stricter the case says so, and it may never accept what Node refuses.
 */
const allowedHosts = ["cloud.getdbt.com", "*.us1.dbt.com"];
const source = "param api_host";

interface Case {
  url: string;
  environment?: "Dev" | "Local";
  /** Python refuses (with its own reason) what Node accepts or refuses for another reason. */
  pythonStricter?: true;
}

const cases: Case[] = [
  { url: "https://cloud.getdbt.com" },
  { url: "https://cloud.getdbt.com/base/" },
  { url: "HTTPS://CLOUD.GETDBT.COM" },
  { url: "https://cloud.getdbt.com:443/api/v2/?limit=5" },
  { url: "https://cloud.getdbt.com:" },
  { url: "  https://ab123.us1.dbt.com  " },
  { url: "https://attacker.example" },
  { url: "https://cloud.getdbt.com.attacker.example" },
  { url: "https://cloud.getdbt.com./" },
  { url: "https://evilus1.dbt.com" },
  { url: "https://us1.dbt.com" },
  { url: "https://a.b.us1.dbt.com" },
  { url: "https://cloud.getdbt.com@attacker.example" },
  { url: "https://user:pw@cloud.getdbt.com" },
  { url: "https://attacker.example#@cloud.getdbt.com" },
  { url: "https://attacker.example?@cloud.getdbt.com" },
  { url: "https://attacker.example/@cloud.getdbt.com" },
  { url: "http://cloud.getdbt.com" },
  { url: "ftp://cloud.getdbt.com" },
  { url: "https://cloud.getdbt.com:8443" },
  { url: "https://cloud.getdbt.com:99999" },
  { url: "cloud.getdbt.com" },
  { url: "" },
  { url: "http://127.0.0.1:8080" },
  { url: "http://localhost:8080" },
  { url: "http://[::1]:8080" },
  { url: "http://127.0.0.1:8080/api", environment: "Local" },
  { url: "https://localhost", environment: "Local" },
  { url: "http://[::1]:9/", environment: "Local" },
  { url: "ftp://127.0.0.1", environment: "Local" },
  { url: "https://cloud.getdbt.com", environment: "Local" },
  { url: "http://attacker.example", environment: "Local" },
  // WHATWG reads each of these as a listed host, or a loopback one, that urllib and the clients built on it may not.
  { url: "https://attacker.example\\@cloud.getdbt.com", pythonStricter: true },
  { url: "https://cloud.getdbt.com\\.attacker.example", pythonStricter: true },
  { url: "https://cloud.get\tdbt.com", pythonStricter: true },
  { url: "https://cloud.getdbt.com\n.attacker.example", pythonStricter: true },
  { url: "https://%63loud.getdbt.com", pythonStricter: true },
  { url: "https:cloud.getdbt.com", pythonStricter: true },
  { url: "https:///cloud.getdbt.com", pythonStricter: true },
  { url: "https://ｃｌｏｕｄ.getdbt.com", pythonStricter: true },
  { url: "http://2130706433", pythonStricter: true },
  { url: "http://127.1:8080", environment: "Local", pythonStricter: true },
];

type Verdict = { origin: string } | { refused: string };

function nodeVerdict({ url, environment = "Dev" }: Case): Verdict {
  try {
    return { origin: checkExternalUrl(url, source, { flow: "calls-out", allowedHosts, environment }).origin };
  } catch (error) {
    return { refused: (error as Error).message };
  }
}

const pythonVerdicts = (): Verdict[] =>
  JSON.parse(
    runPython(
      `
import json, sys
from data_flows.external_url import check_external_url
verdicts = []
given = json.load(sys.stdin)
for case in given["cases"]:
    try:
        checked = check_external_url(case["url"], given["source"], flow="calls-out",
            allowed_hosts=tuple(given["allowedHosts"]), environment=case.get("environment", "Dev"))
        verdicts.append({"origin": checked.origin})
    except Exception as error:
        verdicts.append({"refused": str(error)})
print(json.dumps(verdicts))`,
      JSON.stringify({ cases, source, allowedHosts }),
    ),
  ) as Verdict[];

describeWithPython("the Python helper's URL check, next to Node's WHATWG URL parser", () => {
  const python = pythonVerdicts();
  const rows = cases.map((testCase, index) => ({
    name: `${JSON.stringify(testCase.url)} in ${testCase.environment ?? "Dev"}`,
    testCase,
    node: nodeVerdict(testCase),
    python: python[index]!,
  }));

  it.each(rows.filter((row) => !row.testCase.pythonStricter))("answers $name as Node does", ({ node, python }) => {
    expect(python).toEqual(node);
  });

  it.each(rows.filter((row) => row.testCase.pythonStricter))("refuses $name outright", ({ python }) => {
    expect(python).toEqual({ refused: expect.stringContaining(source) });
  });

  it("never accepts an origin Node would not", () => {
    const accepted = rows.filter((row) => "origin" in row.python);
    expect(accepted.filter((row) => JSON.stringify(row.node) !== JSON.stringify(row.python))).toEqual([]);
  });

  it("covers both answers: some cases accepted, some refused, as Node decides", () => {
    const decided = rows.filter((row) => !row.testCase.pythonStricter).map((row) => "origin" in row.node);
    expect(decided).toContain(true);
    expect(decided).toContain(false);
  });
});
