import * as z from "zod";
import { MAX_OPERATOR_CHARACTERS, OPERATOR_COMMAND_KINDS } from "../../contracts/launch-commands";

/**
 * An operator's request to the launcher's URL (a Lambda function URL, payload format 2.0, `AuthType: AWS_IAM`): Lambda
 * has checked the caller's SigV4 signature and permissions, and put the caller's principal in the request context.
 * (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html)
 */
const functionUrlRequestSchema = z.looseObject({
  version: z.literal("2.0"),
  requestContext: z.looseObject({
    http: z.looseObject({ method: z.string() }),
    authorizer: z.looseObject({ iam: z.looseObject({ userArn: z.string().min(1) }) }).optional(),
  }),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
});
type FunctionUrlRequest = z.output<typeof functionUrlRequestSchema>;

/** A request that came through a function URL, as opposed to an invocation by Scheduler, EventBridge or the reaper. */
export function isFunctionUrlRequest(event: unknown): boolean {
  const context = (event as { requestContext?: { http?: unknown } } | null)?.requestContext;
  return (
    typeof event === "object" && event !== null && (event as { version?: unknown }).version === "2.0" && !!context?.http
  );
}

/** A URL request the launcher will not read, answered 4xx. */
export class RefusedRequestError extends Error {
  override name = "RefusedRequestError";
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The operator's command a URL request carries, sent by the principal Lambda authenticated: its `requestedBy` is that
 * principal (`assumed-role/DataEngineer/ana`), whatever the body said, so the run history records who really asked.
 * Only an operator's command comes this way (`OPERATOR_COMMAND_KINDS`); what the platform sends is refused (403).
 */
export function operatorCommandOfRequest(event: unknown): unknown {
  const parsed = functionUrlRequestSchema.safeParse(event);
  if (!parsed.success) throw new RefusedRequestError(400, "not a function URL request");
  const request: FunctionUrlRequest = parsed.data;
  if (request.requestContext.http.method !== "POST") throw new RefusedRequestError(405, "POST a command as JSON");
  const principal = request.requestContext.authorizer?.iam.userArn;
  if (!principal) throw new RefusedRequestError(401, "the launcher's URL takes IAM-signed requests only");
  const text = request.isBase64Encoded ? Buffer.from(request.body ?? "", "base64").toString("utf8") : request.body;
  let body: unknown;
  try {
    body = JSON.parse(text ?? "");
  } catch {
    throw new RefusedRequestError(400, "the body is not JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new RefusedRequestError(400, "the body is not a command");
  const { kind } = body as { kind?: unknown };
  if (!(OPERATOR_COMMAND_KINDS as readonly unknown[]).includes(kind)) {
    throw new RefusedRequestError(403, `${String(kind)} is not an operator's command`);
  }
  return { ...body, requestedBy: principalName(principal) };
}

/**
 * How an operator is named in a run's history: the principal's ARN without its partition and account, which the
 * environment implies (`arn:aws:sts::111122223333:assumed-role/DataEngineer/ana` → `assumed-role/DataEngineer/ana`).
 */
export function principalName(userArn: string): string {
  const name = /^arn:[^:]+:(?:sts|iam)::\d{12}:(.+)$/.exec(userArn)?.[1] ?? userArn;
  return name.slice(0, MAX_OPERATOR_CHARACTERS);
}

/** A function URL's answer: the status and a JSON body, as Lambda passes it back to the caller. */
export function httpAnswer(statusCode: number, body: unknown) {
  return { statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}
