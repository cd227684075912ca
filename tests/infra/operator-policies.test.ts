import { environments } from "../../.aws/config";
import { loadRegistry } from "../../flows/index";
import type { IamRequirement } from "../../lambdas/adapters/iam-contract";
import { OPERATOR_CALLS, VIEWER_CALLS } from "../../lambdas/adapters/iam-contract";
import type { Decision } from "../support/iam";
import { AppliedStack, decideWith, requestOf } from "../support/iam";
import { synthesizeStack } from "../support/synth";

const registry = loadRegistry();

/**
 * The viewer and operator policies each stack outputs, evaluated as AWS evaluates them (@cloud-copilot/iam-simulate)
 * for a role a team attaches them to: a viewer looks, an operator also acts, and only through the launcher's URL.
 */
describe.each(["dev", "prod"] as const)("who may look and who may act in %s", (environment) => {
  const config = environments[environment];
  const other = environments[environment === "dev" ? "prod" : "dev"];
  let stack: AppliedStack;
  let otherStack: AppliedStack;
  const principal = (role: string) => `arn:aws:iam::${config.accountId}:role/${role}`;

  beforeAll(async () => {
    stack = new AppliedStack((await synthesizeStack(config, registry)).terraform, config);
    otherStack = new AppliedStack((await synthesizeStack(other, registry)).terraform, other);
  });

  /** The decision on each request of `requirements`, for every flow, by a role holding only `policyName`. */
  async function decisions(policyName: string, requirements: readonly IamRequirement[], on = () => stack) {
    const seen = new Map<string, Decision>();
    for (const requirement of requirements) {
      for (const flow of registry.names) {
        const request = requestOf(on(), requirement, { flow });
        seen.set(
          `${request.action} ${request.resource}`,
          await decideWith(stack, principal("DataEngineer"), [stack.managedPolicy(policyName)], request),
        );
      }
    }
    return [...seen.values()];
  }

  it("lets a viewer read the runs table, its indexes and every flow's logs", async () => {
    expect(new Set(await decisions(`${stack.names.prefix}-viewer`, VIEWER_CALLS))).toEqual(new Set(["Allowed"]));
  });

  it("lets a viewer send no command at all", async () => {
    expect(new Set(await decisions(`${stack.names.prefix}-viewer`, OPERATOR_CALLS))).toEqual(
      new Set(["ImplicitlyDenied"]),
    );
  });

  it("lets a viewer write nothing to the runs table", async () => {
    const writes: IamRequirement[] = ["PutItem", "UpdateItem", "DeleteItem"].map((name) => ({
      action: `dynamodb:${name}`,
      resource: "runsTable",
    }));
    expect(new Set(await decisions(`${stack.names.prefix}-viewer`, writes))).toEqual(new Set(["ImplicitlyDenied"]));
  });

  it("lets an operator look, and send commands through the launcher's IAM-authenticated URL", async () => {
    const all = [...VIEWER_CALLS, ...OPERATOR_CALLS];
    expect(new Set(await decisions(`${stack.names.prefix}-operator`, all))).toEqual(new Set(["Allowed"]));
  });

  it("does not let an operator invoke the launcher directly, where it could name someone else", async () => {
    const direct: IamRequirement[] = [{ action: "lambda:InvokeFunction", resource: "launcherFunction" }];
    expect(await decisions(`${stack.names.prefix}-operator`, direct)).toEqual(["ImplicitlyDenied"]);
  });

  it(`does not let an operator of ${environment} act on ${other.environment}`, async () => {
    const denied = await decisions(
      `${stack.names.prefix}-operator`,
      [...VIEWER_CALLS, ...OPERATOR_CALLS],
      () => otherStack,
    );
    expect(new Set(denied)).toEqual(new Set(["ImplicitlyDenied"]));
  });
});
