import * as z from "zod";
import { runReferenceOf } from "../../contracts/task-environment";
import type { TaskObservation } from "../core/task-observation";
import { parseInput } from "./parse-input";

const keyValue = z.looseObject({ name: z.string(), value: z.string().optional() });

const container = z.looseObject({
  name: z.string(),
  lastStatus: z.string().optional(),
  exitCode: z.number().int().optional(),
  reason: z.string().optional(),
});

const detail = z.looseObject({
  taskArn: z.string().min(1),
  clusterArn: z.string().min(1),
  lastStatus: z.string().min(1),
  desiredStatus: z.string().optional(),
  version: z.number().int().nonnegative(),
  containers: z.array(container).default([]),
  overrides: z
    .looseObject({
      containerOverrides: z
        .array(z.looseObject({ name: z.string().optional(), environment: z.array(keyValue).optional() }))
        .optional(),
    })
    .optional(),
  group: z.string().optional(),
  taskDefinitionArn: z.string().optional(),
  stopCode: z.string().optional(),
  stoppedReason: z.string().optional(),
  startedAt: z.string().optional(),
  stoppedAt: z.string().optional(),
  createdAt: z.string().optional(),
});

/** The EventBridge "ECS Task State Change" event, parsed leniently: unknown fields and stop codes pass through. */
export const taskStateChangeSchema = z.looseObject({
  id: z.string(),
  "detail-type": z.literal("ECS Task State Change"),
  source: z.literal("aws.ecs"),
  time: z.string(),
  region: z.string().optional(),
  account: z.string().optional(),
  detail,
});
export type TaskStateChange = z.infer<typeof taskStateChangeSchema>;

/** An event that is not a well-formed ECS Task State Change; it is rejected so the platform dead-letters it. */
export class MalformedEventError extends Error {
  override name = "MalformedEventError";
}

/** Reads an ECS Task State Change event into the observation the recorder acts on, or throws MalformedEventError. */
export function parseTaskStateChange(event: unknown): TaskObservation {
  const { detail } = parseInput(
    taskStateChangeSchema,
    event,
    (problems) => new MalformedEventError(`not an ECS Task State Change event: ${problems}`),
  );
  const run = runReferenceOf(detail.overrides?.containerOverrides);
  return {
    taskArn: detail.taskArn,
    clusterArn: detail.clusterArn,
    ...(run && { run }),
    version: detail.version,
    lastStatus: detail.lastStatus,
    containers: detail.containers.map((c) => ({
      name: c.name,
      ...(c.exitCode !== undefined && { exitCode: c.exitCode }),
      ...(c.reason !== undefined && { reason: c.reason }),
    })),
    ...(detail.stopCode !== undefined && { stopCode: detail.stopCode }),
    ...(detail.stoppedReason !== undefined && { stoppedReason: detail.stoppedReason }),
    ...(detail.startedAt !== undefined && { startedAt: detail.startedAt }),
    ...(detail.stoppedAt !== undefined && { stoppedAt: detail.stoppedAt }),
  };
}
