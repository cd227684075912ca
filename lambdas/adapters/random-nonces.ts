import { randomBytes } from "node:crypto";
import type { NonceSource } from "../core/ports";
import { MANUAL_NONCE_LENGTH } from "../core/run-id";

/** 32 symbols, so each random byte maps to one without bias (256 is a multiple of 32); sorts as it reads. */
const ALPHABET = "0123456789abcdefghijklmnopqrstuv";

/** Manual runs' nonces from the OS's CSPRNG: 10 characters, 50 bits. */
export const randomNonces: NonceSource = {
  nonce: () => Array.from(randomBytes(MANUAL_NONCE_LENGTH), (byte) => ALPHABET[byte % ALPHABET.length]).join(""),
};
