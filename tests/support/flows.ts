import type { FlowInput } from "../../flows/registry/flow-definition";

/**
 * The flow the fixtures' runs belong to (`tests/support/runs.ts`): orders-daily, firing at 10:00 UTC. Each test file
 * states only what its behaviour depends on (retries, overlap, params…).
 */
export function ordersDaily(overrides: Partial<FlowInput> = {}): FlowInput {
  return {
    name: "orders-daily",
    description: "Loads orders",
    owner: "@data-eng",
    schedule: { cron: "0 10 * * *" },
    ...overrides,
  };
}

/** Another flow of a test registry, with nothing but what the test says. */
export function testFlow(name: string, overrides: Partial<FlowInput> = {}): FlowInput {
  return { name, description: `${name} (a test flow)`, owner: "@data-eng", ...overrides };
}
