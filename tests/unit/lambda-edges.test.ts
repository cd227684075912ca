import { Logger } from "@aws-lambda-powertools/logger";
import { ConfigurationError, launcherConfigSchema, readConfig } from "../../lambdas/config";
import { lambdaEntry } from "../../lambdas/adapters/lambda-entry";

describe("function configuration", () => {
  const complete = {
    RUNS_TABLE_NAME: "data-flows-dev-runs",
    RUN_RETENTION_DAYS: "400",
    CLUSTER_ARN: "arn:aws:ecs:eu-west-1:111122223333:cluster/data-flows-dev",
    SUBNET_IDS: "subnet-a, subnet-b",
    SECURITY_GROUP_IDS: "sg-1",
    TASK_DEFINITION_PREFIX: "data-flows-dev-",
    EVENT_BUS_NAME: "data-flows-dev",
    RETRY_SCHEDULE_GROUP: "data-flows-dev-retries",
    RETRY_ROLE_ARN: "arn:aws:iam::111122223333:role/data-flows-dev-scheduler",
    RETRY_DEAD_LETTER_ARN: "arn:aws:sqs:eu-west-1:111122223333:data-flows-dev-scheduler-dlq",
    LAUNCHER_ARN: "arn:aws:lambda:eu-west-1:111122223333:function:data-flows-dev-launcher",
    RETRY_BASE_DELAY_SECONDS: "60",
  };

  it("reads and types a complete environment", () => {
    expect(readConfig(launcherConfigSchema, complete)).toMatchObject({
      RUN_RETENTION_DAYS: 400,
      SUBNET_IDS: ["subnet-a", "subnet-b"],
    });
  });

  it("names every missing or malformed variable instead of falling back to a default", () => {
    const { RUNS_TABLE_NAME: _, ...missingTable } = complete;
    expect(() => readConfig(launcherConfigSchema, { ...missingTable, RUN_RETENTION_DAYS: "soon" })).toThrow(
      expect.objectContaining({
        name: "ConfigurationError",
        message: expect.stringMatching(/RUNS_TABLE_NAME.*RUN_RETENTION_DAYS/),
      }),
    );
  });

  it("throws a ConfigurationError", () => {
    expect(() => readConfig(launcherConfigSchema, {})).toThrow(ConfigurationError);
  });
});

describe("lambda entry points", () => {
  const logger = new Logger({ logLevel: "SILENT" });

  it("builds the handler once, on first use", async () => {
    const build = jest.fn(() => async (event: number) => event * 2);
    const handler = lambdaEntry(logger, build);
    expect(build).not.toHaveBeenCalled();
    await handler(1);
    await handler(2);
    expect(build).toHaveBeenCalledTimes(1);
  });

  it("logs why an invocation failed, then rethrows so the platform retries and dead-letters it", async () => {
    const error = jest.spyOn(logger, "error");
    const handler = lambdaEntry(logger, () => async () => {
      throw new Error("bad event");
    });
    await expect(handler({ id: "e-1" })).rejects.toThrow("bad event");
    expect(error).toHaveBeenCalledWith("invocation failed", expect.objectContaining({ event: { id: "e-1" } }));
  });
});
