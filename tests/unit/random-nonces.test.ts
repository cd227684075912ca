import { randomNonces } from "../../lambdas/adapters/random-nonces";
import { MANUAL_NONCE_LENGTH } from "../../lambdas/core/run-id";
import { launchCommandSchema } from "../../lambdas/handlers/launch-command-schema";

describe("manual runs' nonces (the deployed and local source)", () => {
  const draws = Array.from({ length: 20_000 }, () => randomNonces.nonce());

  it("are as long as a manual run id keeps", () => {
    expect(new Set(draws.map((nonce) => nonce.length))).toEqual(new Set([MANUAL_NONCE_LENGTH]));
  });

  it("are what a client may send as its own request id", () => {
    expect(launchCommandSchema.safeParse({ kind: "manual", flow: "f", params: {}, requestId: draws[0] }).success).toBe(
      true,
    );
  });

  it("do not repeat in 20,000 draws (a 24-bit nonce repeats within ~5,000 draws half the time)", () => {
    expect(new Set(draws).size).toBe(draws.length);
  });

  it("use every one of the 32 symbols, so each carries 5 bits", () => {
    expect(new Set(draws.join("")).size).toBe(32);
  });
});
