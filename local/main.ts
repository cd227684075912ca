import { join, resolve } from "node:path";
import type { FlowRegistry } from "../flows/registry/flow-registry";
import { loadRegistryOrReport } from "../flows/registry/flow-registry";
import { describeSchedule } from "../flows/registry/schedule";
import { loadRegistry } from "../flows/index";
import { startLocalControlPlane } from "./control-plane";
import { LOCAL_ENVIRONMENT } from "./local-environment";

const REPOSITORY_ROOT = resolve(__dirname, "..");
/** Locally the reaper runs every 15 s (5 minutes in AWS), so a timeout shows within seconds of the deadline. */
const LOCAL_REAPER_INTERVAL_MS = 15_000;
/** A second Ctrl-C this long after the first stops at once instead of waiting for flows to stop. */
const FORCE_AFTER_MS = 2_000;

/**
 * Something that runs beside the control plane for as long as it does, such as the run-history page: started once the
 * plane is up (told where its data folder and ports are), closed before the plane stops.
 */
export type Companion = (plane: { dataDir: string; apiPort: number }) => Promise<{
  lines: string[];
  close: () => Promise<void>;
}>;

export interface LocalMainIo {
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
  colour: boolean;
  /** Resolves when the user asks to stop (Ctrl-C). */
  stopRequested: Promise<void>;
}

/**
 * `npm start`: validates the registry, starts the local control plane and runs until Ctrl-C.
 * Returns the process exit code: 1 when the flow definitions are invalid or a port is taken.
 */
export async function runLocal(io: LocalMainIo, load: () => FlowRegistry, companion?: Companion): Promise<number> {
  const registry = loadRegistryOrReport(load, io.err);
  if (!registry) return 1;
  const apiPort = Number(io.env.DATA_FLOWS_PORT ?? LOCAL_ENVIRONMENT.defaultApiPort);
  const dataDir = resolve(io.env.DATA_FLOWS_DATA_DIR ?? join(REPOSITORY_ROOT, ".data"));
  let plane: Awaited<ReturnType<typeof startLocalControlPlane>>;
  try {
    plane = await startLocalControlPlane({
      registry,
      dataDir,
      persist: true,
      apiPort,
      dynamoPort: apiPort + 1,
      schedule: true,
      reaperIntervalMs: LOCAL_REAPER_INTERVAL_MS,
      workdir: REPOSITORY_ROOT,
      hostEnv: io.env,
      write: io.out,
      colour: io.colour,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    io.err(
      `data-flows: port ${apiPort} or ${apiPort + 1} is in use (is npm start already running?); set DATA_FLOWS_PORT`,
    );
    return 1;
  }
  io.out("data-flows local control plane");
  io.out(`  runs table  ${plane.dynamoEndpoint}  (dynalite; data in ${join(dataDir, "dynamodb")})`);
  io.out(`  launcher    ${plane.apiUrl}/functions/launcher/invocations`);
  io.out(`  logs        ${join(dataDir, "logs")}   dead letters  ${plane.deadLetters}`);
  for (const { flow, next } of plane.scheduled) {
    io.out(`  schedule    ${flow}  ${describeSchedule(registry.require(flow).schedule!)}  next ${next.toISOString()}`);
  }
  const beside = companion ? await companion({ dataDir, apiPort }) : undefined;
  beside?.lines.forEach((line) => io.out(line));
  io.out("Try: npx data-flows run hello-world --wait    (Ctrl-C stops)");
  await io.stopRequested;
  io.out("stopping: waiting for running flows to stop (Ctrl-C again to exit at once)...");
  await beside?.close();
  await plane.stop();
  io.out("stopped");
  return 0;
}

/** The process entry of `npm start`, run from a terminal: Ctrl-C stops it (see below). */
export function startFromTerminal(companion?: Companion): void {
  // Lambdas run on nodejs22.x; the SDK's notice about Node 20 is noise for a local tool.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  // A last resort, not a way of handling errors: a rejection nothing handled is reported, and the flows running now
  // go on and are stopped and recorded as usual, instead of Node ending the process under them.
  process.on("unhandledRejection", (reason) =>
    console.error(
      `data-flows: unhandled rejection (a bug; the control plane carries on): ${
        reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)
      }`,
    ),
  );
  const stopRequested = new Promise<void>((resolveStop) => {
    let firstAt: number | undefined;
    // Listeners stay installed while stopping: one more SIGINT must never fall through to Node's default (exit now),
    // which would cut the stop short and leave runs RUNNING. A terminal and npm can deliver one Ctrl-C twice; a
    // second Ctrl-C seconds later means "now": flows get SIGTERM on the way out, their endings go unrecorded.
    const onSignal = (signal: NodeJS.Signals) => {
      if (firstAt === undefined) {
        firstAt = Date.now();
        resolveStop();
      } else if (Date.now() - firstAt > FORCE_AFTER_MS) {
        console.error(`${signal} again: exiting without waiting; running flows' endings are not recorded`);
        process.exit(130);
      }
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  runLocal(
    {
      env: process.env,
      out: (line) => console.log(line),
      err: (line) => console.error(line),
      colour: process.stdout.isTTY === true,
      stopRequested,
    },
    loadRegistry,
    companion,
  ).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

if (require.main === module) startFromTerminal();
