import { environments } from "../../.aws/config";
import { CONTROL_PLANE_FUNCTIONS } from "../../contracts/control-plane";
import { loadRegistry } from "../../flows/index";
import { functionConfigSchema, RUNTIME_VARIABLES } from "../../lambdas/aws/aws-ports";
import type { TerraformJson } from "../support/synth";
import { resources, synthesizeStack } from "../support/synth";

/** Variables a function gets for its runtime, not for its handler: Node's flags and Powertools' service name. */
const PLATFORM_VARIABLES = ["NODE_OPTIONS", "POWERTOOLS_SERVICE_NAME"];

describe.each(["dev", "prod"] as const)("the %s stack's function environments", (environment) => {
  const config = environments[environment];
  let terraform: TerraformJson;

  beforeAll(async () => {
    ({ terraform } = await synthesizeStack(config, loadRegistry()));
  });

  const variablesOf = (name: string): Record<string, string> =>
    resources(terraform, "aws_lambda_function").find((fn) => fn.function_name === `data-flows-${environment}-${name}`)!
      .environment.variables;

  describe.each(CONTROL_PLANE_FUNCTIONS)("the %s", (name) => {
    it("sets everything the function reads at cold start, as the composition root wires it", () => {
      // What Lambda itself sets (AWS_REGION) is reserved: the stack cannot set it, the runtime always does.
      const runtime = Object.fromEntries(RUNTIME_VARIABLES.map((variable) => [variable, config.region]));
      const parsed = functionConfigSchema(name).safeParse({ ...variablesOf(name), ...runtime });
      expect(
        parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`),
      ).toEqual([]);
    });

    it("sets nothing the function does not read", () => {
      const read = Object.keys(functionConfigSchema(name).shape);
      const unread = Object.keys(variablesOf(name)).filter(
        (variable) => !read.includes(variable) && !PLATFORM_VARIABLES.includes(variable),
      );
      expect(unread).toEqual([]);
    });
  });
});
