import { createPrivateKey } from "node:crypto";
import { FlowConfigurationError } from "../runtime/flow-context";

/**
 * The private key for Snowflake key-pair authentication as a PKCS#8 PEM. Accepts a full PEM (PKCS#8 or PKCS#1) or,
 * as the existing `/DataFlows/{Env}/SNOWFLAKE_PRIVATE_KEY` parameters hold it, the PEM body with the header lines and
 * newlines removed. Never echoes the key in an error.
 */
export function normalizePrivateKey(value: string): string {
  const trimmed = value.trim();
  const candidates = trimmed.includes("-----BEGIN")
    ? [trimmed.replace(/\\n/g, "\n")]
    : ["PRIVATE KEY", "RSA PRIVATE KEY"].map((label) => pem(label, trimmed.replace(/\s+/g, "")));
  for (const candidate of candidates) {
    try {
      return createPrivateKey({ key: candidate, format: "pem" }).export({ type: "pkcs8", format: "pem" }).toString();
    } catch {
      // try the next form
    }
  }
  throw new FlowConfigurationError(
    "SNOWFLAKE_PRIVATE_KEY is not an unencrypted RSA private key (a PEM, or its body without header lines)",
  );
}

function pem(label: string, body: string): string {
  const lines = body.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
