import { Logger } from "@aws-lambda-powertools/logger";
import { memoryRunStore } from "./memory-run-store";
import type { Rows } from "./report";
import { ratioOf } from "./report";
import { capturingOutput, nowMs, percentile, spread } from "./stats";
import type { TaskRequestOf } from "./world";
import { benchRegistry, composeBench, InstantTasks, silentPublisher, silentRetries } from "./world";

/**
 * Section 3. The launcher's own cost per launch with in-memory ports (no I/O): a scheduled fire of a default flow
 * (overlap `skip`: takes its lock, records the run, announces it, RunTask, records STARTING, announces it), through the
 * composed handler, timed per call. Baseline: the same port calls made directly, in the same run.
 */
export async function benchLauncherOverhead(rows: Rows, options: { rounds: number; launches: number; warmup: number }) {
  // One flow per launch: a default flow skips a fire while its previous run is active, and here none ever ends.
  const FLOWS = options.warmup + options.launches;
  const registry = benchRegistry(FLOWS, "lo");
  const base = Date.UTC(2026, 0, 1);
  const variants = { silent: [] as number[][], info: [] as number[][], direct: [] as number[][] };
  const unmodelled = new Set<string>();
  const notLaunched = new Set<string>();
  let logBytes = 0;

  const launchRound = async (logLevel: "SILENT" | "INFO") => {
    const memory = memoryRunStore();
    let now = base;
    const plane = composeBench({
      registry,
      runs: memory.store,
      tasks: new InstantTasks().port,
      events: silentPublisher,
      retries: silentRetries,
      clock: { now: () => new Date(now) },
      logger: new Logger({ logLevel, serviceName: "data-flows-bench-launcher" }),
    });
    const launcher = plane.launcher();
    const samples: number[] = [];
    const total = options.warmup + options.launches;
    for (let i = 0; i < total; i += 1) {
      const slot = base + Math.floor(i / FLOWS) * 60_000;
      now = slot + 30_000;
      const command = { kind: "schedule", flow: `lo-${i % FLOWS}`, scheduledTime: new Date(slot).toISOString() };
      const start = nowMs();
      const result = (await launcher(command)) as { status?: string };
      if (i >= options.warmup) samples.push((nowMs() - start) * 1000);
      if (result.status !== "launched") notLaunched.add(String(result.status));
    }
    memory.unmodelled.forEach((name) => unmodelled.add(name));
    return samples;
  };

  /** The same port calls without the handler and use case: the floor the launcher's logic adds to. */
  const directRound = async () => {
    const memory = memoryRunStore();
    const tasks = new InstantTasks().port;
    const samples: number[] = [];
    const total = options.warmup + options.launches;
    for (let i = 0; i < total; i += 1) {
      const flow = `lo-${i % FLOWS}`;
      const slot = new Date(base + Math.floor(i / FLOWS) * 60_000).toISOString();
      const runId = `${flow}/${slot}`;
      const at = new Date(base + 30_000).toISOString();
      const start = nowMs();
      await memory.store.acquireLock(flow, runId, at);
      const run = {
        runId,
        flow,
        trigger: "schedule",
        scheduledFor: slot,
        params: {},
        state: "PENDING",
        attempt: 1,
        maxAttempts: 1,
        flowRetries: 0,
        createdAt: at,
        deadline: at,
        holdsLock: true,
      } as unknown as Parameters<typeof memory.store.create>[0];
      const created = await memory.store.create(run);
      await silentPublisher.publish({ runId, flow, from: null, to: created.run.state } as never);
      const request = { flow, runId, attempt: 1, params: {}, clientToken: `${runId}#1`, startedBy: `df/${flow}` };
      const launched = (await tasks.runTask(request as TaskRequestOf)) as { taskArn: string };
      const moved = await memory.store.transition({
        runId,
        attempt: 1,
        to: "STARTING",
        at,
        source: "launcher",
        task: { taskArn: launched.taskArn, version: 0 },
      });
      await silentPublisher.publish({ runId, flow, from: "PENDING", to: moved.run?.state } as never);
      if (i >= options.warmup) samples.push((nowMs() - start) * 1000);
    }
    return samples;
  };

  for (let round = 0; round < options.rounds; round += 1) {
    variants.direct.push(await directRound());
    variants.silent.push(await launchRound("SILENT"));
    const info = await capturingOutput(() => launchRound("INFO"));
    variants.info.push(info.value);
    logBytes += info.bytes;
  }

  const p = (samples: number[][], q: number) =>
    spread(
      samples.map((round) =>
        percentile(
          [...round].sort((a, b) => a - b),
          q,
        ),
      ),
    );
  const note = `${options.rounds} rounds × ${options.launches} launches (after ${options.warmup} warm-up), ${FLOWS} flows`;
  const direct50 = p(variants.direct, 50);
  const direct99 = p(variants.direct, 99);
  rows.add("same port calls made directly: p50 (baseline)", direct50, "µs", { note });
  rows.add("same port calls made directly: p99 (baseline)", direct99, "µs");
  const silent50 = p(variants.silent, 50);
  const silent99 = p(variants.silent, 99);
  rows.add("launcher per launch, logger SILENT: p50", silent50, "µs", {
    ratio: ratioOf(silent50, direct50, "direct p50"),
  });
  rows.add("launcher per launch, logger SILENT: p99", silent99, "µs", {
    ratio: ratioOf(silent99, direct99, "direct p99"),
  });
  const info50 = p(variants.info, 50);
  const info99 = p(variants.info, 99);
  const perLaunch = logBytes / (options.rounds * (options.launches + options.warmup));
  rows.add("launcher per launch, logger INFO (as deployed): p50", info50, "µs", {
    ratio: ratioOf(info50, direct50, "direct p50"),
    note: `log output discarded; ${perLaunch.toFixed(0)} bytes of log per launch`,
  });
  rows.add("launcher per launch, logger INFO (as deployed): p99", info99, "µs", {
    ratio: ratioOf(info99, direct99, "direct p99"),
  });
  const perSecond = (rounds: number[][]) =>
    spread(rounds.map((round) => round.length / (round.reduce((a, b) => a + b, 0) / 1e6)));
  const throughput = perSecond(variants.info);
  const directThroughput = perSecond(variants.direct);
  rows.add("same port calls made directly: per second (baseline)", directThroughput, "launches/s");
  const problems = [
    ...(unmodelled.size ? [`in-memory store does not model: ${[...unmodelled].join(", ")}`] : []),
    ...(notLaunched.size ? [`launches not "launched": ${[...notLaunched].join(", ")}`] : []),
  ];
  rows.add("launcher launches per second, logger INFO", throughput, "launches/s", {
    ratio: ratioOf(throughput, directThroughput, "direct calls"),
    note: problems.join("; ") || "every launch answered launched",
  });
}
