import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";

/**
 * How a conditional write ended: written, or refused because the item was not as the condition required. The refusal
 * is kept so a caller that cannot explain it (the item vanished before it could be read back) can rethrow it.
 */
export type ConditionalWrite<T> =
  { written: true; output: T } | { written: false; refusal: ConditionalCheckFailedException };

/**
 * Awaits a conditional write. A failed condition is an answer every store acts on (return false, read the item back,
 * try again, or ignore it), so it comes back as a value; any other error is thrown as it was.
 */
export async function conditionalWrite<T>(write: Promise<T>): Promise<ConditionalWrite<T>> {
  try {
    return { written: true, output: await write };
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return { written: false, refusal: error };
    throw error;
  }
}
