import type { LaunchCommand } from "../contracts/launch-commands";
import type { LauncherAnswers } from "../lambdas/handlers/launcher";
import { CliError, oneLine } from "./errors";

/**
 * What the CLI sends the launcher: an operator's commands (`contracts/launch-commands.ts`), and locally, for tests and
 * tools, any other command but a run change (which only the bus delivers).
 */
export type OperatorCommand = Exclude<LaunchCommand, { kind: "run-changed" }>;

/** The launcher of an environment, invoked synchronously: each command answered as the handler types it. */
export interface LauncherClient {
  invoke<K extends OperatorCommand["kind"]>(
    command: Extract<OperatorCommand, { kind: K }>,
  ): Promise<LauncherAnswers[K]>;
}

/** One synchronous invocation as a transport (Lambda Invoke, the local invoke API) saw it come back. */
export interface LauncherReply {
  /** Set when the invocation failed: Lambda's `FunctionError`, or the local API's HTTP status. */
  failure?: string;
  body: string;
  /** What to say when a successful invocation's body is not JSON: the transport knows who may be answering. */
  unreadable: string;
}

/**
 * A launcher client over one transport. A failure is read before the body is parsed, so any error answer (a JSON
 * error, a runtime's plain-text crash, an empty body) becomes one line naming the launcher's own message.
 */
export function launcherClient(send: (command: OperatorCommand) => Promise<LauncherReply>): LauncherClient {
  return {
    async invoke(command) {
      const reply = await send(command);
      const body = parseJson(reply.body);
      if (reply.failure !== undefined)
        throw new CliError(`launcher: ${oneLine(errorMessageOf(body) ?? (reply.body.trim() || reply.failure))}`);
      if (body === undefined) throw new CliError(reply.unreadable);
      return body as never;
    },
  };
}

/** The message of an error answer: the launcher's (`errorMessage`), or Lambda's own (`Message`, `message`). */
function errorMessageOf(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const { errorMessage, Message, message } = body as Record<string, unknown>;
  const said = [errorMessage, Message, message].find((text) => typeof text === "string" && text);
  return said as string | undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
