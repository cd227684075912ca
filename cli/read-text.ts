import { readFileSync } from "node:fs";
import { CliError } from "./errors";

/** A file's text, or a one-line error naming what is wrong with it. */
export function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      { ENOENT: "no such file", EACCES: "permission denied", EISDIR: "it is a folder" }[code ?? ""] ??
      String((error as Error).message);
    throw new CliError(`cannot read ${file}: ${why}`);
  }
}
