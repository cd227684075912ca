import type { FlowRegistry } from "../flows/registry/flow-registry";
import type { Target } from "./local-target";
import type { Operator } from "./operations";

/** The outside world of one CLI invocation: where it prints, its environment and its clock. */
export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  /** Where progress bars are drawn (standard error); without it, progress is printed as lines on `err`. */
  progress?: NodeJS.WriteStream;
}

/**
 * Exit codes: 0 done; 1 a waited-for run did not succeed, replayed events were rejected, or the flow definitions are
 * invalid; 2 usage or an error the command reports in one line.
 */
export const EXIT = { ok: 0, runNotSucceeded: 1, error: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What every command is given: the registry, the io, and the environment chosen with `--env`. */
export interface CliContext {
  registry: FlowRegistry;
  io: CliIo;
  /** `local`, or the deployed environment named by `--env`. */
  env(): string;
  /** Connects to the chosen environment (once per command; closed when it ends). */
  connect(): Target;
  /** The operator at this keyboard, acting on the chosen environment, connected to it on their first command. */
  operator(): Operator;
  /** Prints `value` as JSON with `--json`, else the lines. */
  print(json: boolean | undefined, value: unknown, lines: () => string[]): void;
  /** Sets the exit code the command ends with. */
  exitWith(code: ExitCode): void;
}
