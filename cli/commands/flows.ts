import type { FlowImage } from "../../contracts/flow-images";
import { FLOW_IMAGES } from "../../contracts/flow-images";
import type { FlowDefinition } from "../../flows/registry/flow-definition";
import { flowImageOf } from "../../flows/registry/flow-definition";
import { describeParam } from "../../flows/registry/flow-params";
import { nextFireTimes, scheduleSpecOf } from "../../flows/registry/schedule";
import type { FlowPause, Watermark } from "../../lambdas/core/ports";
import { explainError } from "../errors";
import { describeStarts } from "../format";
import type { Command } from "commander";
import type { CliContext } from "../context";

/** How many upcoming fires `flows` shows per flow. */
const NEXT_FIRES = 3;

/** One flow as `flows --json` prints it: its definition, as an operator needs it, and what is set on it now. */
export interface FlowListing {
  name: string;
  description: string;
  owner: string;
  /** What the flow is written in, the image it runs in, and (unless it is the TypeScript runtime's) its command. */
  language: string;
  image: FlowImage;
  command: string[] | null;
  schedule: string | null;
  timezone: string | null;
  enabled: boolean;
  nextFires: string[];
  upstream: string[];
  retries: number;
  timeoutMinutes: number;
  overlap: string;
  maxLatenessMinutes: number;
  params: Record<string, ReturnType<typeof describeParam>>;
  keepsWatermark: boolean;
  /** null when the flow is not paused, or when its state could not be read (`stateError` says why). */
  paused: FlowPause | null;
  watermark: Watermark | null;
  stateError?: string;
}

/** `flows`: the registry as an operator reads it, with each flow's next fires, pause and watermark. */
export function registerFlows(program: Command, cli: CliContext): void {
  program
    .command("flows")
    .description("list the flows: schedule, next fires, upstream, retries, timeout, params, paused, watermark")
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }) => {
      const now = cli.io.now();
      const state = await readState(cli);
      const listings = cli.registry.flows.map((flow) => listing(flow, now, state));
      if (state.error) cli.io.err(`data-flows: pauses and watermarks not shown: ${state.error}`);
      cli.print(options.json, listings, () =>
        listings.flatMap((flow, index) => [...(index ? [""] : []), ...lines(flow, cli.registry.flows[index]!)]),
      );
    });
}

interface FlowStates {
  pauses: Map<string, FlowPause>;
  watermarks: Map<string, Watermark>;
  error?: string;
}

/** Pauses and watermarks live in the environment's runs table; without it, the registry is still worth printing. */
async function readState(cli: CliContext): Promise<FlowStates> {
  const states: FlowStates = { pauses: new Map(), watermarks: new Map() };
  try {
    const { flowState } = cli.connect();
    await Promise.all(
      cli.registry.flows.map(async (flow) => {
        const [pause, watermark] = await Promise.all([
          flowState.pauseOf(flow.name),
          flow.watermark ? flowState.watermarkOf(flow.name) : undefined,
        ]);
        if (pause) states.pauses.set(flow.name, pause);
        if (watermark) states.watermarks.set(flow.name, watermark);
      }),
    );
  } catch (error) {
    const explained = explainError(error, cli.env());
    if (explained === undefined) throw error;
    states.error = explained;
  }
  return states;
}

function listing(flow: FlowDefinition, now: Date, state: FlowStates): FlowListing {
  const { schedule } = flow;
  return {
    name: flow.name,
    description: flow.description,
    owner: flow.owner,
    language: FLOW_IMAGES[flowImageOf(flow)].language,
    image: flowImageOf(flow),
    command: flow.run?.command ?? null,
    schedule: schedule?.cron ?? (schedule?.rate ? `rate ${schedule.rate}` : null),
    timezone: schedule?.timezone ?? null,
    enabled: schedule?.enabled ?? false,
    nextFires: schedule?.enabled
      ? nextFireTimes(scheduleSpecOf(schedule), schedule.timezone, now, NEXT_FIRES).map((fire) => fire.toISOString())
      : [],
    upstream: flow.upstream,
    retries: flow.retries,
    timeoutMinutes: flow.timeoutMinutes,
    overlap: flow.overlap,
    maxLatenessMinutes: flow.maxLatenessMinutes,
    params: Object.fromEntries(Object.entries(flow.params).map(([name, schema]) => [name, describeParam(schema)])),
    keepsWatermark: flow.watermark,
    paused: state.pauses.get(flow.name) ?? null,
    watermark: state.watermarks.get(flow.name) ?? null,
    ...(state.error && { stateError: state.error }),
  };
}

/** A flow as a block of labelled lines, the way `kubectl describe` prints a resource. */
function lines(flow: FlowListing, definition: FlowDefinition): string[] {
  const minute = (iso: string) => iso.slice(0, 16).replace("T", " ");
  const params = Object.entries(flow.params).map(
    ([name, param]) =>
      `${name} (${param.type}${param.required ? ", required" : ""}${param.default !== undefined ? `, default ${param.default}` : ""})`,
  );
  const fields: [string, string | undefined][] = [
    ["owner", flow.owner],
    ["runs", `${flow.language}, ${flow.image} image${flow.command ? `: ${flow.command.join(" ")}` : ""}`],
    ["starts", describeStarts(definition)],
    ["next fires", flow.nextFires.length ? `${flow.nextFires.map(minute).join(", ")} UTC` : undefined],
    ["retries", `${flow.retries}, timeout ${flow.timeoutMinutes} min, overlap ${flow.overlap}`],
    ["params", params.length ? params.join(", ") : undefined],
    [
      "watermark",
      flow.watermark
        ? `${flow.watermark.value} (committed by ${flow.watermark.runId} at ${minute(flow.watermark.committedAt)})`
        : flow.keepsWatermark && !flow.stateError
          ? "none yet"
          : undefined,
    ],
    [
      "paused",
      flow.paused
        ? `PAUSED by ${flow.paused.pausedBy} at ${minute(flow.paused.pausedAt)}${flow.paused.reason ? `: ${flow.paused.reason}` : ""}`
        : undefined,
    ],
  ];
  return [
    `${flow.name}${flow.paused ? "  [PAUSED]" : ""}  ${flow.description}`,
    ...fields
      .filter((field): field is [string, string] => field[1] !== undefined)
      .map(([label, value]) => `  ${label.padEnd(11)}${value}`),
  ];
}
