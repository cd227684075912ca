import { registry } from "../index";
import { flowModules } from "../modules";
import { ExitCode } from "./exit-codes";
import { runFlow } from "./run-flow";

// The container entrypoint. ECS sends SIGTERM on StopTask and SIGKILL after the stop timeout (30 s unless the task
// definition says otherwise). The flow gets the signal through its AbortSignal; one that ignores it is ended here,
// shortly before SIGKILL would, so the exit code still says "stopped".
const STOP_GRACE_MS = 25_000;
const stop = new AbortController();
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    stop.abort(new Error(signal));
    setTimeout(() => process.exit(ExitCode.stopped), STOP_GRACE_MS).unref();
  });
}

void runFlow({ env: process.env, registry, modules: flowModules, stop: stop.signal }).then((code) =>
  process.exit(code),
);
