import { createPublicKey, createSign, createVerify, generateKeyPairSync } from "node:crypto";
import { normalizePrivateKey } from "../../flows/lib/snowflake-key";
import { FlowConfigurationError } from "../../flows/runtime/flow-context";

const { privateKey, publicKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});
const pkcs1 = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});
const bodyOf = (pem: string) => pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, "").replace(/\s+/g, "");

/** Snowflake key-pair auth signs a JWT with RS256: the normalized key must sign what the public key verifies. */
function signsFor(normalized: string, publicPem: string): boolean {
  const signature = createSign("RSA-SHA256").update("header.payload").sign(normalized);
  return createVerify("RSA-SHA256").update("header.payload").verify(createPublicKey(publicPem), signature);
}

describe("Snowflake private keys", () => {
  it("accepts a full PKCS#8 PEM", () => {
    expect(signsFor(normalizePrivateKey(privateKey), publicKey)).toBe(true);
  });

  it("accepts the PEM body with header lines and newlines removed, as the SSM parameters hold it", () => {
    const body = bodyOf(privateKey);
    expect(body).not.toContain("\n");
    expect(signsFor(normalizePrivateKey(body), publicKey)).toBe(true);
  });

  it("accepts a PKCS#1 key, as PEM or as a bare body", () => {
    expect(signsFor(normalizePrivateKey(pkcs1.privateKey), pkcs1.publicKey)).toBe(true);
    expect(signsFor(normalizePrivateKey(bodyOf(pkcs1.privateKey)), pkcs1.publicKey)).toBe(true);
  });

  it("accepts a PEM whose newlines were stored as \\n escapes", () => {
    expect(signsFor(normalizePrivateKey(privateKey.replace(/\n/g, "\\n")), publicKey)).toBe(true);
  });

  it("hands the driver a PKCS#8 PEM", () => {
    expect(normalizePrivateKey(bodyOf(pkcs1.privateKey))).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  it("rejects something that is not a key as a configuration error, without echoing it", () => {
    const secret = "c2VjcmV0LWJ1dC1ub3QtYS1rZXk=";
    expect(() => normalizePrivateKey(secret)).toThrow(FlowConfigurationError);
    expect(() => normalizePrivateKey(secret)).not.toThrow(new RegExp(secret));
  });
});
