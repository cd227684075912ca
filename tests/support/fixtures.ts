import { readFileSync } from "node:fs";
import { join } from "node:path";

export type EcsFixture =
  | "task-provisioning"
  | "task-running"
  | "task-stopped-exit-0"
  | "task-stopped-exit-1"
  | "task-stopped-secrets-pull-failed";

export const ECS_FIXTURES: readonly EcsFixture[] = [
  "task-provisioning",
  "task-running",
  "task-stopped-exit-0",
  "task-stopped-exit-1",
  "task-stopped-secrets-pull-failed",
];

/** A fresh copy of a real-shaped ECS Task State Change event from tests/fixtures/ecs. */
export function ecsEvent(name: EcsFixture): Record<string, any> {
  return JSON.parse(readFileSync(join(__dirname, "..", "fixtures", "ecs", `${name}.json`), "utf8"));
}

/** The cluster every fixture event comes from. */
export const FIXTURE_CLUSTER_ARN = "arn:aws:ecs:eu-west-1:111122223333:cluster/data-flows-dev";
