import { RunTaskCommand } from "@aws-sdk/client-ecs";
import { defineRegistry } from "../../flows/registry/flow-registry";
import { RunState } from "../../contracts/run-states";
import { principalName } from "../../lambdas/handlers/operator-request";
import { ordersDaily } from "../support/flows";
import { functionUrlRequest } from "../support/function-url";
import { controlPlaneTestbed } from "../support/testbed";

const registry = defineRegistry([ordersDaily({ retries: 1, overlap: "allow" })]);
const ANA = "arn:aws:sts::111122223333:assumed-role/DataEngineer/ana";

/**
 * In AWS an operator's command reaches the launcher only through its URL (IAM-authenticated): the launcher records the
 * principal Lambda authenticated, whatever the command says, and refuses an operator's command invoked directly.
 */
describe("the launcher's URL: operators who are who they say", () => {
  // The launcher as AWS composes it: operators' commands through its URL only.
  const { ecs, bed } = controlPlaneTestbed(registry, "2026-03-02T10:05:00.000Z", { operatorEntry: "url" });
  const launcher = () => bed.launcher;
  const send = async (body: unknown, userArn = ANA, options = {}) =>
    (await launcher()(functionUrlRequest(body, userArn, options))) as { statusCode: number; body: string };
  const answer = (response: { body: string }) => JSON.parse(response.body) as Record<string, unknown>;

  it("records the principal the URL authenticated as who asked, whatever the command says", async () => {
    const response = await send({ kind: "manual", flow: "orders-daily", params: {}, requestedBy: "someone-else" });
    expect(response.statusCode).toBe(200);
    expect(await bed.runs.get(answer(response).runId as string)).toMatchObject({
      requestedBy: "assumed-role/DataEngineer/ana",
    });
  });

  it("puts the principal in the history of what it did (a cancel)", async () => {
    const started = answer(await send({ kind: "manual", flow: "orders-daily", params: {} }));
    const cancel = { kind: "cancel", flow: "orders-daily", runId: started.runId, requestedBy: "mallory" };
    expect(answer(await send(cancel))).toMatchObject({ status: "cancelled", state: RunState.CANCELLED });
    expect((await bed.runs.get(started.runId as string))!.reason).toBe("cancelled by assumed-role/DataEngineer/ana");
  });

  it("refuses an operator's command invoked directly, where anyone could say who they are", async () => {
    await expect(launcher()({ kind: "pause", flow: "orders-daily", requestedBy: "ana", reason: "x" })).rejects.toThrow(
      "pause: an operator's command comes through the launcher's URL",
    );
  });

  it("still takes what the platform sends directly (a schedule's fire)", async () => {
    expect(
      await launcher()({ kind: "schedule", flow: "orders-daily", scheduledTime: "2026-03-02T10:00:00Z" }),
    ).toMatchObject({
      status: "launched",
    });
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(1);
  });

  it.each([
    [
      "a command only the platform sends (a retry)",
      { kind: "retry", flow: "orders-daily", runId: "orders-daily/20260302T1000Z", attempt: 2 },
      {},
      403,
    ],
    [
      "a request without an IAM principal",
      { kind: "manual", flow: "orders-daily", params: {} },
      { authorized: false },
      401,
    ],
    ["a GET", { kind: "manual", flow: "orders-daily", params: {} }, { method: "GET" }, 405],
    ["a command for a flow that does not exist", { kind: "manual", flow: "nope", params: {} }, {}, 400],
    ["a malformed command", { kind: "cancel", flow: "orders-daily" }, {}, 400],
  ])("answers %s with HTTP %s, naming why, and starts nothing", async (_, body, options, status) => {
    const response = await send(body, ANA, options);
    expect(response.statusCode).toBe(status);
    expect(answer(response).errorMessage).toEqual(expect.any(String));
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
  });

  it.each([
    [ANA, "assumed-role/DataEngineer/ana"],
    ["arn:aws:iam::111122223333:user/ben", "user/ben"],
    ["arn:aws-cn:sts::111122223333:assumed-role/Ops/cara", "assumed-role/Ops/cara"],
  ])("names %s as %s in a run's history", (arn, name) => {
    expect(principalName(arn)).toBe(name);
  });
});
