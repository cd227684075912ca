import { Logger } from "@aws-lambda-powertools/logger";
import { ConfigurationError, readConfig } from "../../lambdas/aws/function-config";
import { awsLambdaHandler, lambdaEntry } from "../../lambdas/aws/lambda-entry";
import { functionConfigSchema } from "../../lambdas/aws/aws-ports";

const context = {
  invokedFunctionArn: "arn:aws:lambda:eu-west-1:111122223333:function:data-flows-dev-launcher",
  getRemainingTimeInMillis: () => 30_000,
};

describe("function configuration", () => {
  const complete = {
    DATA_FLOWS_ENVIRONMENT: "dev",
    DATA_FLOWS_SSM_ENVIRONMENT: "Dev",
    RUNS_TABLE_NAME: "data-flows-dev-runs",
    RUN_RETENTION_DAYS: "400",
    CLUSTER_ARN: "arn:aws:ecs:eu-west-1:111122223333:cluster/data-flows-dev",
    SUBNET_IDS: "subnet-a, subnet-b",
    SECURITY_GROUP_IDS: "sg-1",
    EVENT_BUS_NAME: "data-flows-dev",
    RETRY_SCHEDULE_GROUP: "data-flows-dev-retries",
    RETRY_ROLE_ARN: "arn:aws:iam::111122223333:role/data-flows-dev-scheduler",
    RETRY_DEAD_LETTER_ARN: "arn:aws:sqs:eu-west-1:111122223333:data-flows-dev-scheduler-dlq",
    RETRY_BASE_DELAY_SECONDS: "60",
  };

  it("reads and types the launcher's complete environment", () => {
    expect(readConfig(functionConfigSchema("launcher"), complete)).toMatchObject({
      RUN_RETENTION_DAYS: 400,
      SUBNET_IDS: ["subnet-a", "subnet-b"],
    });
  });

  it("names every missing or malformed variable instead of falling back to a default", () => {
    const { RUNS_TABLE_NAME: _, ...missingTable } = complete;
    expect(() => readConfig(functionConfigSchema("launcher"), { ...missingTable, RUN_RETENTION_DAYS: "soon" })).toThrow(
      expect.objectContaining({
        name: "ConfigurationError",
        message: expect.stringMatching(/RUNS_TABLE_NAME.*RUN_RETENTION_DAYS|RUN_RETENTION_DAYS.*RUNS_TABLE_NAME/),
      }),
    );
  });

  it("asks each function only for what its handler uses", () => {
    const variables = (name: Parameters<typeof functionConfigSchema>[0]) =>
      Object.keys(functionConfigSchema(name).shape).sort();
    expect(variables("recorder")).not.toContain("SUBNET_IDS");
    expect(variables("alerter")).toEqual(
      expect.arrayContaining(["SLACK_WEBHOOK_PARAMETER", "RUNS_TABLE_NAME", "DATA_FLOWS_ENVIRONMENT"]),
    );
    expect(variables("alerter")).not.toContain("CLUSTER_ARN");
    expect(variables("reaper")).toContain("LAUNCHER_FUNCTION_NAME");
  });

  it("asks every function but the launcher for the launcher's ARN, to target retries at it", () => {
    expect(Object.keys(functionConfigSchema("launcher").shape)).not.toContain("LAUNCHER_ARN");
    expect(Object.keys(functionConfigSchema("recorder").shape)).toContain("LAUNCHER_ARN");
  });

  it("throws a ConfigurationError", () => {
    expect(() => readConfig(functionConfigSchema("recorder"), {})).toThrow(ConfigurationError);
  });
});

describe("lambda entry points", () => {
  const logger = new Logger({ logLevel: "SILENT" });

  it("builds the handler once, on first use", async () => {
    const build = jest.fn(() => async (event: unknown) => (event as number) * 2);
    const handler = lambdaEntry(() => logger, build);
    expect(build).not.toHaveBeenCalled();
    await handler(1, context);
    await handler(2, context);
    expect(build).toHaveBeenCalledTimes(1);
  });

  it("logs why an invocation failed, then rethrows so the platform retries and dead-letters it", async () => {
    const error = jest.spyOn(logger, "error");
    const handler = lambdaEntry(
      () => logger,
      () => async () => {
        throw new Error("bad event");
      },
    );
    await expect(handler({ id: "e-1" }, context)).rejects.toThrow("bad event");
    expect(error).toHaveBeenCalledWith("invocation failed", expect.objectContaining({ event: { id: "e-1" } }));
  });

  it("fails a cold start that lacks configuration, naming every missing variable, before touching AWS", async () => {
    const handler = awsLambdaHandler("recorder", { DATA_FLOWS_ENVIRONMENT: "dev" });
    await expect(handler({}, context)).rejects.toThrow(
      /RUNS_TABLE_NAME.*EVENT_BUS_NAME|EVENT_BUS_NAME.*RUNS_TABLE_NAME/,
    );
  });
});
