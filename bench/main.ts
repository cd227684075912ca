import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import * as prettier from "prettier";
import { bundleLambdas } from "../bundling/bundle-lambdas";
import { environments } from "../.aws/config";
import { synthesize } from "../.aws/main";
import { CONTROL_PLANE_FUNCTIONS } from "../contracts/control-plane";
import { loadRegistry } from "../flows/index";
import type { BundleFigures } from "./bundles";
import { benchBundles } from "./bundles";
import type { BurstResult } from "./burst";
import { BURST_MODEL, benchBurst, ECS_LIMITS } from "./burst";
import { COST_ASSUMPTIONS, costMarkdown, costModel } from "./cost";
import { countRows } from "./count-rows";
import type { CountsResult } from "./counts";
import { CAPACITY_RULES_SOURCES } from "./dynamo-meter";
import { benchLauncherOverhead } from "./launcher-overhead";
import { PRICES } from "./prices";
import { benchProperty } from "./property";
import { benchPropertyScale } from "./property-scale";
import { benchRecorderThroughput } from "./recorder-throughput";
import type { Row, SectionError } from "./report";
import { renderTable, Rows } from "./report";
import type { StackFacts } from "./stack-facts";
import { readStackFacts } from "./stack-facts";
import { exact, nowMs } from "./stats";
import { benchBundling, benchCli, benchNpmTest, benchSynth } from "./synth";
import { benchUi } from "./ui";
import { benchFlowProcesses } from "./flow-processes";
import { benchRegistry } from "./world";

const ROOT = resolve(__dirname, "..");

const USAGE = `npm run bench -- [options]
  --only 1,2,...        sections: 1 bundles, 2 recorder, 3 launcher, 4 counts, 5 burst, 6 synth+cli, 7 property,
                        8 cost (needs 4), 9 ui (Chromium), 10 flow processes (node and python3);
                        the preparation (bundles, synth) always runs
  --property-runs N     property histories timed through Jest, in 3 runs (default $DATA_FLOWS_PROPERTY_RUNS or 50)
  --property-seed N     first seed (default $DATA_FLOWS_PROPERTY_SEED or the time)
  --property-histories N  histories per seed of the property at scale, with operator commands, played directly
                        (default 10000: about an hour for the two seeds on 2 cores; --quick plays 50)
  --property-seeds A,B  seeds of the property at scale (default two seeds from the first seed)
  --npm-test            also time \`npm test\` (about two minutes)
  --load-runs N         fresh-process loads per bundle variant (default 15)
  --burst 1000,10000    burst sizes (default 1000,10000)
  --quick               small counts everywhere: a smoke run of every section in a minute or two
  --out FILE            result JSON (default bench/results/bench-<time>.json)`;

/** `npm run bench`: figures, not pass/fail. Prints one table and writes it, with the details, as JSON. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: "string" },
      "property-runs": { type: "string" },
      "property-seed": { type: "string" },
      "property-histories": { type: "string" },
      "property-seeds": { type: "string" },
      "npm-test": { type: "boolean", default: false },
      "load-runs": { type: "string" },
      burst: { type: "string" },
      quick: { type: "boolean", default: false },
      out: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  process.env.CHECKPOINT_DISABLE ??= "1";
  const quick = values.quick;
  const only = values.only ? new Set(values.only.split(",").map((s) => s.trim())) : undefined;
  const config = {
    propertyRuns: Number(values["property-runs"] ?? process.env.DATA_FLOWS_PROPERTY_RUNS ?? (quick ? 30 : 50)),
    propertySeed: Number(values["property-seed"] ?? process.env.DATA_FLOWS_PROPERTY_SEED ?? Date.now() % 2 ** 31),
    // Enough to time the simulation within the bench's 10 minutes; a sweep for rare interleavings asks for more.
    propertyHistories: Number(values["property-histories"] ?? (quick ? 50 : 10_000)),
    propertySeeds: values["property-seeds"]?.split(",").map(Number),
    loadRuns: Number(values["load-runs"] ?? (quick ? 3 : 15)),
    burstSizes: (values.burst ?? (quick ? "200" : "1000,10000")).split(",").map(Number),
    recorderRounds: quick ? 2 : 5,
    recorderRunsPerRound: quick ? 50 : 200,
    launcherRounds: quick ? 2 : 5,
    launcherLaunches: quick ? 2000 : 20_000,
    synthRuns: quick ? 1 : 3,
    synthSizes: quick ? [1, 50] : [1, 50, 500],
    cliRuns: quick ? 2 : 5,
    npmTest: values["npm-test"],
  };
  const startedAt = new Date();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(`data-flows bench on node ${process.version}, ${cpus().length} CPUs, ${startedAt.toISOString()}`);

  const rows: Row[] = [];
  const errors: SectionError[] = [];
  const details: Record<string, unknown> = {};
  const timings: Record<string, number> = {};
  const section = async (id: string, title: string, work: (rows: Rows) => Promise<void> | void) => {
    if (only && id !== "0" && !only.has(id)) return; // 0 prepares what 1, 4, 5 and 8 read
    const sectionRows = new Rows(`${id} ${title}`);
    const start = nowMs();
    log(`section ${id} ${title}…`);
    try {
      await work(sectionRows);
    } catch (error) {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      errors.push({ section: sectionRows.section, error: text.split("\n").slice(0, 4).join(" | ").slice(0, 1500) });
      log(`  failed: ${text.split("\n")[0]}`);
    }
    rows.push(...sectionRows.rows);
    timings[id] = (nowMs() - start) / 1000;
    log(`  ${timings[id].toFixed(1)} s`);
  };

  // Shared preparation: the four bundles and the stacks synthesized for the shipped registry.
  const work = mkdtempSync(join(tmpdir(), "data-flows-bench-"));
  let bundles = {} as Awaited<ReturnType<typeof bundleLambdas>>;
  let facts: StackFacts | undefined;
  let bundleFigures: BundleFigures | undefined;
  let counts: CountsResult | undefined;
  let bursts: BurstResult[] = [];
  try {
    await section("0", "prepare", async () => {
      bundles = await bundleLambdas(join(work, "bundles"));
      synthesize({
        outdir: join(work, "stack"),
        registry: loadRegistry(),
        environments: Object.values(environments),
        bundles,
      });
      facts = readStackFacts(join(work, "stack", "stacks", "data-flows-dev", "cdk.tf.json"), CONTROL_PLANE_FUNCTIONS);
      details.stack = facts;
    });
    const needFacts = () => {
      if (!facts) throw new Error("the synthesized stack is missing (section 0 failed)");
      return facts;
    };

    await section("1", "bundles", (r) => {
      const archives = Object.fromEntries(
        Object.entries(needFacts().functions).map(([name, fn]) => [name, fn.archive]),
      );
      bundleFigures = benchBundles(r, bundles, config.loadRuns, archives);
      details.bundles = bundleFigures;
    });
    await section("2", "recorder", (r) =>
      benchRecorderThroughput(r, { rounds: config.recorderRounds, runsPerRound: config.recorderRunsPerRound }),
    );
    await section("3", "launcher", (r) =>
      benchLauncherOverhead(r, {
        rounds: config.launcherRounds,
        launches: config.launcherLaunches,
        warmup: config.launcherLaunches / 10,
      }),
    );
    await section("4", "counts", (r) => {
      const stackJson = join(needFacts().stackDir, "cdk.tf.json");
      const out = join(work, "counts.json");
      const child = spawnSync(process.execPath, ["--import", "tsx", join(__dirname, "counts.ts"), stackJson, out], {
        cwd: ROOT,
        encoding: "utf8",
        env: process.env,
      });
      if (child.status !== 0) throw new Error(`counts failed: ${child.stderr.slice(-1500)}`);
      counts = JSON.parse(readFileSync(out, "utf8")) as CountsResult;
      details.counts = counts;
      countRows(r, counts);
    });
    await section("5", "burst", async (r) => {
      const launcher = needFacts().functions.launcher;
      if (!launcher?.reservedConcurrency) throw new Error("the stack gives the launcher no reserved concurrency");
      const coldLoad = bundleFigures?.coldLoadMs.launcher?.sourceMaps ?? 150;
      const platform = {
        reservedConcurrency: launcher.reservedConcurrency,
        asyncMaxRetries: launcher.asyncMaxRetries ?? 2,
        maxEventAgeSeconds: launcher.asyncMaxEventAgeSeconds ?? 21_600,
        coldInitMs: coldLoad * (COST_ASSUMPTIONS.vcpuMemoryMiB / launcher.memoryMiB),
      };
      bursts = await benchBurst(r, config.burstSizes, platform);
      details.burst = { platform, limits: ECS_LIMITS, model: BURST_MODEL, results: bursts };
    });
    await section("6", "synth+cli", async (r) => {
      await benchBundling(r, config.synthRuns);
      benchSynth(r, bundles, config.synthRuns, config.synthSizes);
      benchCli(r, config.cliRuns);
      if (process.env.NODE_EXTRA_CA_CERTS) {
        r.rows.at(-3)!.note = "NODE_EXTRA_CA_CERTS is set here: every node start loads extra CA certificates (~40 ms)";
      }
      if (config.npmTest) benchNpmTest(r, 1);
    });
    await section("7", "property", async (r) => {
      const problems = benchProperty(r, config.propertyRuns, config.propertySeed);
      const seeds = config.propertySeeds ?? [config.propertySeed, config.propertySeed + 1];
      log(`property at scale: ${config.propertyHistories} histories for each of seeds ${seeds.join(", ")}`);
      const scale = await benchPropertyScale(r, { histories: config.propertyHistories, seeds, log });
      details.property = { runs: config.propertyRuns, seed: config.propertySeed, problems, scale };
    });

    await section("9", "run-history page", (r) => benchUi(r, quick ? 2 : 5));
    await section("10", "flow processes", (r) => benchFlowProcesses(r, quick ? 3 : 10));

    const resultsDir = join(__dirname, "results");
    mkdirSync(resultsDir, { recursive: true });
    const stamp = startedAt
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d+Z$/, "Z");
    const outFile = resolve(values.out ?? join(resultsDir, `bench-${stamp}.json`));
    await section("8", "cost", async (r) => {
      if (!counts) throw new Error("no counts (section 4 did not run)");
      const registryDefaults = benchRegistry(1, "defaults").flows[0]!;
      const inputs = {
        counts,
        facts: needFacts(),
        coldLoadMs: Object.fromEntries(
          Object.entries(bundleFigures?.coldLoadMs ?? {}).map(([fn, ms]) => [fn, ms.sourceMaps]),
        ),
        runRetentionDays: environments.prod!.runRetentionDays,
        flowTask: { vcpu: registryDefaults.cpu / 1024, memoryGb: registryDefaults.memoryMiB / 1024 },
      };
      const model = costModel(inputs);
      for (const [name, run] of Object.entries(model.perRun)) {
        r.add(`cost of one run: ${name}`, exact(run.total * 1e6), "µUSD", {
          note: `Lambda ${((run.dollars.lambdaRequests + run.dollars.lambdaDuration) * 1e6).toFixed(1)}, DynamoDB ${((run.dollars.dynamoWrites + run.dollars.dynamoReads) * 1e6).toFixed(1)}, events ${(run.dollars.customEvents * 1e6).toFixed(1)}, logs ${(run.dollars.logs * 1e6).toFixed(1)}, traces ${(run.dollars.traces * 1e6).toFixed(1)} µUSD`,
        });
      }
      const control = (flows: number) => model.controlPlane.reduce((sum, item) => sum + item.perMonth(flows), 0);
      for (const flows of [10, 100, 1000]) {
        r.add(`control plane a month, ${flows} flows hourly`, exact(control(flows)), "USD/month", {
          note: "NAT, image pulls and flow tasks apart (docs/cost.md)",
        });
      }
      for (const item of model.alternatives) r.add(`${item.name} a month`, exact(item.perMonth(10)), "USD/month");
      for (const item of model.apart) r.add(`${item.name}, 1,000 flows`, exact(item.perMonth(1000)), "USD/month");
      const markdown = costMarkdown(inputs, startedAt.toISOString().slice(0, 10), relative(ROOT, outFile));
      const costFile = join(ROOT, "docs", "cost.md");
      writeFileSync(costFile, await pretty(markdown, costFile));
      details.cost = {
        assumptions: COST_ASSUMPTIONS,
        perRun: model.perRun,
        monthly: Object.fromEntries(
          [10, 100, 1000].map((flows) => [
            flows,
            Object.fromEntries(
              [...model.controlPlane, ...model.apart, ...model.alternatives].map((item) => [
                item.name,
                item.perMonth(flows),
              ]),
            ),
          ]),
        ),
      };
    });

    const table = renderTable(rows, errors);
    const totalSeconds = (Date.now() - startedAt.getTime()) / 1000;
    const result = JSON.stringify({
      meta: {
        startedAt: startedAt.toISOString(),
        seconds: totalSeconds,
        node: process.version,
        cpus: cpus().map((cpu) => cpu.model)[0],
        cpuCount: cpus().length,
        memoryGiB: totalmem() / 2 ** 30,
        config,
        sectionSeconds: timings,
        capacityRules: CAPACITY_RULES_SOURCES,
      },
      rows,
      errors,
      prices: PRICES,
      details,
      table,
    });
    writeFileSync(outFile, await pretty(result, outFile));
    console.log(
      `data-flows bench, node ${process.version}, ${cpus().length} CPUs, ${startedAt.toISOString()}, ${totalSeconds.toFixed(0)} s`,
    );
    console.log(table);
    console.log(
      `\nwritten: ${relative(ROOT, outFile)}${rows.some((row) => row.section.startsWith("8")) ? ", docs/cost.md" : ""}`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Files the bench writes into the repository are formatted as `npm run lint` (prettier --check) expects. */
async function pretty(text: string, filepath: string): Promise<string> {
  const options = (await prettier.resolveConfig(filepath)) ?? {};
  return prettier.format(text, { ...options, filepath });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
