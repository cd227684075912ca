import { FLOW_CONTAINER_NAME, MAX_WATERMARK_CHARACTERS, runOverrides } from "../../contracts/task-environment";
import { clientToken, startedBy } from "./run-id";
import type { TaskRequest } from "./ports";

/** What ECS RunTask accepts (RunTask API reference): requests outside these are refused, so refuse them first. */
export const RUN_TASK_LIMITS = {
  /** "A total of 8192 characters are allowed for overrides", JSON formatting included. */
  overridesCharacters: 8192,
  /** "Up to 64 characters … in the range of 33-126, inclusive." */
  clientTokenCharacters: 64,
  /** "Up to 128 letters (uppercase and lowercase), numbers, hyphens (-), forward slash (/), and underscores (_)". */
  startedByCharacters: 128,
} as const;

const CLIENT_TOKEN_ALPHABET = /^[\x21-\x7e]+$/;
const STARTED_BY_ALPHABET = /^[A-Za-z0-9/_-]+$/;

/**
 * Why ECS would refuse to start this attempt of a run, each problem naming the limit, or nothing. Checked before a
 * run is recorded, so a request ECS cannot take is refused at once instead of leaving a run that can never start.
 */
export function runTaskProblems(
  request: Pick<TaskRequest, "flow" | "runId" | "attempt" | "params" | "dataInterval">,
): string[] {
  const problems: string[] = [];
  // With room for the longest watermark a later attempt may carry: a run that fits now must fit at every attempt.
  const longest = { ...request, watermark: "w".repeat(MAX_WATERMARK_CHARACTERS) };
  const overrides = JSON.stringify({
    containerOverrides: [{ name: FLOW_CONTAINER_NAME, environment: runOverrides(longest) }],
  }).length;
  if (overrides > RUN_TASK_LIMITS.overridesCharacters) {
    problems.push(
      `params: the task's overrides would be ${overrides.toLocaleString("en")} characters; ECS RunTask allows ${RUN_TASK_LIMITS.overridesCharacters.toLocaleString("en")}`,
    );
  }
  const token = clientToken(request.runId, request.attempt);
  if (token.length > RUN_TASK_LIMITS.clientTokenCharacters || !CLIENT_TOKEN_ALPHABET.test(token)) {
    problems.push(
      `runId: its RunTask clientToken "${token}" must be 1-${RUN_TASK_LIMITS.clientTokenCharacters} printable ASCII characters without spaces`,
    );
  }
  const tag = startedBy(request.flow);
  if (tag.length > RUN_TASK_LIMITS.startedByCharacters || !STARTED_BY_ALPHABET.test(tag)) {
    problems.push(
      `flow: its RunTask startedBy "${tag}" must be 1-${RUN_TASK_LIMITS.startedByCharacters} of [A-Za-z0-9/_-]`,
    );
  }
  return problems;
}
