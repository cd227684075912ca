import type { FlowDefinition, FlowInput } from "./flow-definition";
import { flowDefinitionSchema } from "./flow-definition";

/** One problem with one flow's definition: which flow, which field, what is wrong. */
export interface FlowDefinitionIssue {
  flow: string;
  field: string;
  message: string;
}

/** Every problem found in a registry, each naming the flow and the field. Synth and `npm start` stop on it. */
export class FlowDefinitionError extends Error {
  override name = "FlowDefinitionError";
  constructor(readonly issues: readonly FlowDefinitionIssue[]) {
    super(
      `invalid flow definitions:\n${issues.map((issue) => `  flow "${issue.flow}", field "${issue.field}": ${issue.message}`).join("\n")}`,
    );
  }
}

/**
 * Loads the registry for an entry point (npm start, synth, the CLI). Invalid definitions are reported as a person
 * reads them, every problem once, each naming the flow and the field, then what to do, and the result is undefined
 * (the caller exits 1, with no stack trace). Any other error is thrown as it is.
 */
export function loadRegistryOrReport(
  load: () => FlowRegistry,
  report: (line: string) => void,
): FlowRegistry | undefined {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof FlowDefinitionError)) throw error;
    report(`data-flows: ${error.message}`);
    report(
      "Fix the flow definitions under flows/ (each problem names the flow and the field) and run the command again.",
    );
    return undefined;
  }
}

/** The validated set of flows: the one source of truth for the stacks, the control plane and the CLI. */
export class FlowRegistry {
  private readonly byName: ReadonlyMap<string, FlowDefinition>;

  constructor(readonly flows: readonly FlowDefinition[]) {
    this.byName = new Map(flows.map((flow) => [flow.name, flow]));
  }

  get(name: string): FlowDefinition | undefined {
    return this.byName.get(name);
  }

  /** The flow named, or an error that lists the flows that do exist. */
  require(name: string): FlowDefinition {
    const flow = this.byName.get(name);
    if (!flow) throw new UnknownFlowError(name, [...this.byName.keys()]);
    return flow;
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  /** The flows that start when `flow` succeeds. */
  downstreamOf(flow: string): FlowDefinition[] {
    return this.flows.filter((candidate) => candidate.upstream.includes(flow));
  }

  /** The flows some other flow follows, sorted: whose successes the launcher must hear about. */
  get upstreamFlows(): string[] {
    return [...new Set(this.flows.flatMap((flow) => flow.upstream))].sort();
  }
}

/** A request named a flow the registry does not have. */
export class UnknownFlowError extends Error {
  override name = "UnknownFlowError";
  constructor(
    readonly flow: string,
    known: readonly string[],
  ) {
    super(`unknown flow "${flow}"; known flows: ${known.length ? known.join(", ") : "(none)"}`);
  }
}

/** Validates every definition (and that names are unique) and throws one error listing every problem. */
export function defineRegistry(inputs: readonly FlowInput[]): FlowRegistry {
  const issues: FlowDefinitionIssue[] = [];
  const flows: FlowDefinition[] = [];
  const seen = new Set<string>();
  inputs.forEach((input, index) => {
    const label = typeof input?.name === "string" && input.name ? input.name : `#${index + 1}`;
    const result = flowDefinitionSchema.safeParse(input);
    if (!result.success) {
      for (const issue of result.error.issues) {
        issues.push({ flow: label, field: issue.path.join(".") || "(definition)", message: issue.message });
      }
      return;
    }
    if (seen.has(result.data.name)) {
      issues.push({ flow: label, field: "name", message: "another flow already has this name" });
      return;
    }
    seen.add(result.data.name);
    flows.push(result.data);
  });
  for (const flow of flows) {
    flow.upstream.forEach((name, index) => {
      if (name === flow.name)
        issues.push({ flow: flow.name, field: `upstream.${index}`, message: "a flow cannot follow itself" });
      else if (!seen.has(name))
        issues.push({ flow: flow.name, field: `upstream.${index}`, message: `no flow named "${name}"` });
    });
  }
  if (issues.length > 0) throw new FlowDefinitionError(issues);
  return new FlowRegistry(flows);
}
