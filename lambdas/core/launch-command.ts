import type { LaunchCommand } from "../../contracts/launch-commands";

/** The commands that create one run, as opposed to moving an existing one on. */
export type NewRunCommand = Extract<LaunchCommand, { kind: "schedule" | "manual" }>;

/** A launch request that cannot be carried out as asked; the message names the field and the limit. */
export class InvalidLaunchRequestError extends Error {
  override name = "InvalidLaunchRequestError";
}
