import { userInfo } from "node:os";

/**
 * Who is at the keyboard, as recorded in a run's history ("cancelled by ana"). It is what the operator's machine says,
 * not an authenticated identity: in AWS, CloudTrail's record of the launcher Invoke names the IAM principal.
 */
export function operatorName(env: NodeJS.ProcessEnv): string {
  const named = env.DATA_FLOWS_OPERATOR ?? env.USER ?? env.USERNAME;
  if (named) return named.slice(0, 128);
  try {
    return userInfo().username.slice(0, 128) || "unknown";
  } catch {
    return "unknown"; // no passwd entry for this uid (a container)
  }
}
