// The container entrypoint, executed (never imported) by the image: `node /app/index.js`.
import { ExitCode } from "../../contracts/exit-codes";
import { TaskEnv } from "../../contracts/task-environment";
import { loadRegistry } from "../index";
import { flowModules } from "../modules";
import { runFlow } from "./run-flow";

// ECS sends SIGTERM on StopTask and SIGKILL after the task definition's stop timeout (which it also passes as
// DATA_FLOWS_STOP_TIMEOUT_SECONDS; ECS's own default is 30 s). The flow gets the signal through its AbortSignal; one
// that ignores it is ended here, shortly before SIGKILL would, so the exit code still says "stopped".
const ECS_DEFAULT_STOP_TIMEOUT_SECONDS = 30;
const stopTimeoutSeconds = Number(process.env[TaskEnv.stopTimeoutSeconds] ?? ECS_DEFAULT_STOP_TIMEOUT_SECONDS);
const STOP_GRACE_MS = Math.max(stopTimeoutSeconds - 5, 1) * 1000;
const stop = new AbortController();
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    stop.abort(new Error(signal));
    setTimeout(() => process.exit(ExitCode.stopped), STOP_GRACE_MS).unref();
  });
}

let registry;
try {
  registry = loadRegistry();
} catch (error) {
  // An image built from invalid definitions: a configuration error, never worth a retry.
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(ExitCode.configurationError);
}
void runFlow({ env: process.env, registry, modules: flowModules, stop: stop.signal }).then((code) =>
  process.exit(code),
);
