import * as z from "zod";
import { allowedHostProblem } from "./allowed-hosts";
import type { ParamShape, ParamValues } from "./flow-params";
import { paramDeclarationProblem } from "./flow-params";
import { FARGATE_MEMORY_BY_CPU, fargateSizeHint, isFargateSize } from "./fargate";
import { isKnownTimezone, parseCron, parseRate, ScheduleError } from "./schedule";
import type { FlowImage } from "../../contracts/flow-images";
import { FLOW_IMAGE_NAMES } from "../../contracts/flow-images";
import { FLOW_SECRET_NAMES } from "../../contracts/flow-secrets";

/** Flow names become ECS family names, log groups, schedule names and run-id prefixes, so they stay short and plain. */
export const FLOW_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

export const OverlapPolicy = { skip: "skip", allow: "allow" } as const;
export type OverlapPolicy = (typeof OverlapPolicy)[keyof typeof OverlapPolicy];

const scheduleSchema = z
  .strictObject({
    cron: z.string().optional(),
    rate: z.string().optional(),
    timezone: z.string().default("UTC"),
    enabled: z.boolean().default(true),
  })
  .superRefine((schedule, ctx) => {
    if ((schedule.cron === undefined) === (schedule.rate === undefined)) {
      ctx.addIssue({ code: "custom", message: 'set exactly one of "cron" or "rate"' });
      return;
    }
    try {
      if (schedule.cron !== undefined) parseCron(schedule.cron);
      if (schedule.rate !== undefined) parseRate(schedule.rate);
    } catch (error) {
      if (!(error instanceof ScheduleError)) throw error;
      ctx.addIssue({ code: "custom", path: [schedule.cron !== undefined ? "cron" : "rate"], message: error.message });
    }
    if (!isKnownTimezone(schedule.timezone)) {
      ctx.addIssue({
        code: "custom",
        path: ["timezone"],
        message: `unknown timezone "${schedule.timezone}"; use an IANA name such as "Europe/London"`,
      });
    }
  });

/** Host names (or `*.` one-label wildcards) the flow may send requests to; see `./allowed-hosts.ts`. */
const allowedHostsSchema = z
  .array(
    z.string().superRefine((entry, ctx) => {
      const problem = allowedHostProblem(entry);
      if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
    }),
  )
  .default([])
  .refine((hosts) => new Set(hosts).size === hosts.length, "allowedHosts lists a host twice");

/** Shells that would take a string of shell code: a command is a list of arguments, so none of them with `-c`. */
const SHELLS = new Set(["sh", "bash", "dash", "zsh", "ash", "/bin/sh", "/bin/bash", "/usr/bin/env"]);

const runSchema = z.strictObject({
  image: z.enum(FLOW_IMAGE_NAMES, {
    message: `image must be one of the images this repository builds: ${FLOW_IMAGE_NAMES.join(", ")}`,
  }),
  command: z
    .array(z.string().min(1, "an argument cannot be empty"), {
      message: 'command is a list of arguments, e.g. ["python", "flows/my-flow/main.py"], never a shell string',
    })
    .min(1, "command needs at least the program to run")
    .superRefine((command, ctx) => {
      const [program] = command;
      if (program !== undefined && /\s/.test(program)) {
        ctx.addIssue({
          code: "custom",
          path: [0],
          message: `"${program}" is a shell string: split it into a list of arguments, e.g. ${JSON.stringify(program.trim().split(/\s+/))}`,
        });
      } else if (program !== undefined && SHELLS.has(program)) {
        ctx.addIssue({
          code: "custom",
          path: [0],
          message: `run the program itself, not through ${program}: a command is a list of arguments, never shell code`,
        });
      }
    }),
});

/** Params by name, each a zod schema reading text (see `./flow-params.ts`); checked against the flow in the refinement. */
const paramsSchema = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "param names are identifiers of at most 64 characters"),
  z.custom<z.ZodType>(() => true),
);

export const flowDefinitionSchema = z
  .strictObject({
    name: z
      .string()
      .regex(FLOW_NAME_PATTERN, "use 1-32 characters of [a-z0-9-], starting and ending with a letter or digit"),
    description: z.string().min(1),
    owner: z.string().min(1, "name the team or person paged when the flow fails, e.g. @data-eng"),
    schedule: scheduleSchema.optional(),
    cpu: z.number().int().default(256),
    memoryMiB: z.number().int().default(512),
    timeoutMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(60),
    retries: z.number().int().min(0).max(5).default(0),
    overlap: z.enum([OverlapPolicy.skip, OverlapPolicy.allow]).default(OverlapPolicy.skip),
    maxLatenessMinutes: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60)
      .default(60),
    secrets: z
      .array(z.enum(FLOW_SECRET_NAMES, { message: `secrets must be among ${FLOW_SECRET_NAMES.join(", ")}` }))
      .default([])
      .refine((names) => new Set(names).size === names.length, "secrets lists a name twice"),
    /** The params a run takes, typed: `--param` values, the launcher and the container all read them by these. */
    params: paramsSchema.default({}),
    /**
     * The external hosts the flow's code may send requests to (a secret above all). A URL taken from params reaches
     * the network only through `context.externalUrl`, which refuses any other host; loopback only in Local.
     */
    allowedHosts: allowedHostsSchema,
    /**
     * The flow keeps a watermark (the last value it loaded up to) between runs: its code reads it and proposes the
     * next through its context, and a proposal is committed only when its attempt SUCCEEDS. Only such a flow's task
     * may write its proposal (to its own runs' items, that one attribute): the others' tasks may call nothing.
     */
    watermark: z.boolean().default(false),
    /**
     * How the flow's container runs when it is not a TypeScript module of `flows/modules.ts`: one of the images this
     * repository builds, and the command in it, as a list of arguments (never a shell string). It must honour the
     * flow contract (docs/flow-contract.md): exit codes, JSON log lines, the run's environment.
     */
    run: runSchema.optional(),
    /** Flows whose success starts this one (once per upstream run), in addition to or instead of a schedule. */
    upstream: z.array(z.string()).default([]),
  })
  .superRefine((flow, ctx) => {
    // A run that starts itself (a schedule, an upstream success) has nobody to give a required param.
    const startsItself = flow.schedule !== undefined || flow.upstream.length > 0;
    for (const [name, schema] of Object.entries(flow.params)) {
      const problem = paramDeclarationProblem(schema, !startsItself);
      if (problem) ctx.addIssue({ code: "custom", path: ["params", name], message: problem });
    }
    if (!isFargateSize(flow.cpu, flow.memoryMiB)) {
      ctx.addIssue({
        code: "custom",
        path: [fargateSizeField(flow.cpu)],
        message: `cpu ${flow.cpu} / memoryMiB ${flow.memoryMiB} is not a Fargate size; ${fargateSizeHint(flow.cpu)}`,
      });
    }
  });

/** Blames memory when the cpu value exists at all, so the message points at the field to change. */
function fargateSizeField(cpu: number): "cpu" | "memoryMiB" {
  return FARGATE_MEMORY_BY_CPU[cpu] ? "memoryMiB" : "cpu";
}

/** A flow as written in its `flow.ts`: optional fields take the defaults above. */
export type FlowInput = z.input<typeof flowDefinitionSchema>;
/** A validated flow with every default applied: what the stacks, the control plane and the CLI consume. */
export type FlowDefinition = z.output<typeof flowDefinitionSchema>;

/**
 * Declares a flow. Validation happens when the registry is built, so every problem is reported at once. The params'
 * shape is kept in the type, so the flow's code gets typed params: `FlowContext<ParamsOf<typeof flow>>`.
 */
export function defineFlow<const Shape extends ParamShape = Record<never, z.ZodType>>(
  flow: Omit<FlowInput, "params"> & { params?: Shape },
): Omit<FlowInput, "params"> & { params?: Shape } {
  return flow;
}

/** The typed params of a flow declared with {@link defineFlow}. */
export type ParamsOf<Flow> = Flow extends { params?: infer Shape extends ParamShape } ? ParamValues<Shape> : object;

/** The image a flow runs in: the one its `run` names, else the TypeScript runtime's. */
export function flowImageOf(flow: Pick<FlowDefinition, "run">): FlowImage {
  return flow.run?.image ?? "node";
}
