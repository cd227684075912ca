import type { RunStateChanged } from "../../../contracts/run-events";
import { isTerminal, RunState, Trigger } from "../../../contracts/run-states";
import type { FlowRegistry } from "../../../flows/registry/flow-registry";
import { backfillSlots } from "../../../lambdas/core/backfill-plan";
import { FailureClass } from "../../../lambdas/core/classify-failure";
import type { Backfill } from "../../../lambdas/core/ports";
import { earlierFailures, INFRASTRUCTURE_RETRIES } from "../../../lambdas/core/retry-policy";
import type { Run } from "../../../lambdas/core/run";
import { backfillRunId } from "../../../lambdas/core/run-id";
import { canTransition } from "../../../lambdas/core/run-state";

const MINUTE = 60_000;

/** A task the simulated ECS started: when it started, and when (and how) it stopped, if it did. */
export interface SimTask {
  taskArn: string;
  taskId: string;
  runId: string;
  flow: string;
  attempt: number;
  environment: { name: string; value: string }[];
  startAt: number;
  /** When it stops (undefined: runs until stopped: past its timeout). */
  stopAt?: number;
  exitCode?: number;
  stopCode?: string;
  /** Its STOPPED event is lost and ECS forgets it once stopped. */
  forgotten: boolean;
  /** StopTask was called for it: ListTasks (desired status RUNNING) no longer lists it. */
  stopRequested?: boolean;
}

/** A pause as it held: from its write (its command answered) to the resume sent after it, in the world's write order. */
export interface HeldPause {
  flow: string;
  pausedAt: string;
  fromSeq: number;
  untilSeq: number;
}

/** Every answer a request that names itself (a request id) got, and the run its first send named. */
export interface NamedRequest {
  label: string;
  answered: string[];
}

/** What the world saw, for the oracle to judge once it is quiet. */
export interface WorldFacts {
  registry: FlowRegistry;
  runs: readonly Run[];
  tasks: readonly SimTask[];
  published: readonly RunStateChanged[];
  posts: readonly string[];
  backfills: readonly Backfill[];
  pauses: readonly HeldPause[];
  /** When each run's record was first written (the write's start), in the world's write order. */
  createdSeq: ReadonlyMap<string, number>;
  /** When each run's first task was asked of ECS: its launcher's second look at the pause came before. */
  launchedSeq: ReadonlyMap<string, number>;
  namedRequests: readonly NamedRequest[];
  skipFlow: string;
  skipFlowLockHolder: string | undefined;
  faultsEnd: number;
  reaperPeriodMs: number;
}

/**
 * The oracle: every run ends within its allowance once faults stop and owes nothing; its history moves as the state
 * machine allows; one task at a time per run and none beyond its attempt; no task outlives its run by more than a
 * reaper pass; a failed launch never ends an attempt whose task ran; the attempt budget is the flow's; endings agree
 * with ECS; endings and failed attempts are announced, and paged exactly once (a pause once, not per held fire); a
 * skip flow never runs two runs at once; backfills end, and DONE only with every slot run and none cancelled by
 * another backfill; a paused flow is never launched by its own fires; a request resent with its id answers one run.
 */
export function violationsOf(world: WorldFacts): string[] {
  const violations: string[] = [];
  for (const run of world.runs) violations.push(...runViolations(world, run));
  violations.push(...skipFlowViolations(world), ...backfillViolations(world), ...pauseViolations(world));
  for (const request of world.namedRequests) {
    if (new Set(request.answered).size > 1) {
      violations.push(`${request.label}: its sends answered different runs: ${request.answered.join(", ")}`);
    }
  }
  return violations;
}

function runViolations(world: WorldFacts, run: Run): string[] {
  const violations: string[] = [];
  const flow = world.registry.require(run.flow);
  const v = (message: string) => violations.push(`${run.runId} (${run.state}, attempt ${run.attempt}): ${message}`);
  const tasks = world.tasks.filter((task) => task.runId === run.runId);

  // Every run ends, within its deadline plus a reaper period of the faults stopping.
  if (!isTerminal(run.state)) v("never ended");
  const endedAt = Date.parse(run.history.at(-1)!.at);
  const allowance =
    (1 + flow.retries + INFRASTRUCTURE_RETRIES + 1) * (flow.timeoutMinutes + 30) * MINUTE + 2 * world.reaperPeriodMs;
  if (isTerminal(run.state) && endedAt > Math.max(world.faultsEnd, Date.parse(run.createdAt)) + allowance) {
    v(`ended only at ${new Date(endedAt).toISOString()}, past its allowance`);
  }
  if (run.settlement) v("ended, but still owes its settlement");

  // The history never leaves a terminal state and makes only allowed moves.
  run.history.forEach((entry, i) => {
    const previous = run.history[i - 1];
    if (!previous) return;
    if (isTerminal(previous.state)) v(`history continues after ${previous.state}: ${entry.state}`);
    else if (!canTransition(previous.state, entry.state)) v(`history moves ${previous.state} -> ${entry.state}`);
  });

  // One task per attempt, never two tasks of a run at once, none beyond the current attempt.
  const attempts = tasks.map((task) => task.attempt);
  if (new Set(attempts).size !== attempts.length) v(`two tasks for one attempt: ${attempts.join(",")}`);
  if (attempts.some((attempt) => attempt > run.attempt)) v(`a task for attempt ${Math.max(...attempts)}`);
  for (const [a, b] of pairs(tasks))
    if (overlap(a, b)) v(`tasks of attempts ${a.attempt} and ${b.attempt} ran at once`);

  // No task runs on once its run has ended, past a reaper pass after the faults stop.
  const ending = run.history.find((entry) => isTerminal(entry.state));
  if (ending) {
    const bound = Math.max(Date.parse(ending.at), world.faultsEnd) + world.reaperPeriodMs + MINUTE;
    for (const task of tasks) {
      const end = task.stopAt ?? Infinity;
      if (end > bound) v(`task ${task.taskId} (attempt ${task.attempt}) ran on after the run ended ${ending.state}`);
    }
  }

  // A launch that failed (no capacity, refused) never ends an attempt whose task ran: that task would run unwatched.
  for (const attempt of new Set(run.history.map((entry) => entry.attempt))) {
    const last = [...run.history].reverse().find((entry) => entry.attempt === attempt)!;
    const launchFailed =
      last.source === "launcher" && (last.state === RunState.RETRYING || last.state === RunState.FAILED);
    const ranOn = tasks.some((task) => task.attempt === attempt && task.stopCode !== "UserInitiated");
    if (launchFailed && ranOn) v(`attempt ${attempt} ended as a failed launch (${last.reason}) while its task ran`);
  }

  // The attempt budget is the flow's: its own failures retried at most `retries` times.
  const failures = earlierFailures(run);
  const flowFailures = failures.filter((f) => f === FailureClass.flowError || f === FailureClass.unknown).length;
  if (flowFailures > flow.retries) v(`${flowFailures} of its own failures retried; the flow allows ${flow.retries}`);
  const platform: FailureClass[] = [FailureClass.capacity, FailureClass.spotInterruption, FailureClass.hostLost];
  const infra = failures.filter((f) => platform.includes(f)).length;
  if (infra > INFRASTRUCTURE_RETRIES) v(`${infra} infrastructure retries`);

  // The ending agrees with what ECS saw.
  const last = tasks.find((task) => task.attempt === run.attempt);
  const cleanSuccess =
    last?.exitCode === 0 &&
    last.stopCode === "EssentialContainerExited" &&
    !last.forgotten &&
    last.stopAt !== undefined &&
    last.stopAt < Date.parse(run.deadline);
  if (run.state === RunState.SUCCEEDED && !(last?.exitCode === 0 && last.stopCode === "EssentialContainerExited")) {
    v("SUCCEEDED without its task exiting 0");
  }
  if (cleanSuccess && run.state !== RunState.SUCCEEDED && run.state !== RunState.CANCELLED) {
    v("its last task exited 0 in time, yet it did not succeed");
  }

  // Every ending and every failed attempt is announced at least once, and paged exactly once; a fire held by a pause
  // is not paged on its own (its pause is, once).
  const announced = (to: RunState, attempt: number) =>
    world.published.some((change) => change.runId === run.runId && change.to === to && change.attempt === attempt);
  const paged = (to: RunState, attempt: number) =>
    world.posts.filter((text) => alertKey(text) === `${run.runId}#${attempt}#${to}`).length;
  if (isTerminal(run.state) && !announced(run.state, run.attempt)) v(`its ending ${run.state} was never announced`);
  for (const entry of run.history.filter((e) => e.state === RunState.RETRYING)) {
    if (!announced(RunState.RETRYING, entry.attempt)) v(`failed attempt ${entry.attempt} was never announced`);
    const count = paged(RunState.RETRYING, entry.attempt);
    if (count !== 1) v(`failed attempt ${entry.attempt} was paged ${count} times`);
  }
  const pagedEnding = ([RunState.FAILED, RunState.TIMED_OUT, RunState.LOST, RunState.SKIPPED] as RunState[]).includes(
    run.state,
  );
  if (pagedEnding) {
    const count = paged(run.state, run.attempt);
    const expected = run.pausedAt !== undefined ? 0 : 1;
    if (count !== expected) v(`its ending ${run.state} was paged ${count} times`);
  }
  return violations;
}

/** A skip flow never runs two runs at once; nothing holds its lock once everything ended. */
function skipFlowViolations(world: WorldFacts): string[] {
  const violations: string[] = [];
  const skipTasks = world.tasks.filter((task) => task.flow === world.skipFlow);
  for (const [a, b] of pairs(skipTasks)) {
    if (a.runId !== b.runId && overlap(a, b))
      violations.push(`${world.skipFlow} ran ${a.runId} and ${b.runId} at once`);
  }
  if (world.skipFlowLockHolder)
    violations.push(`${world.skipFlow}'s lock is still held by ${world.skipFlowLockHolder}`);
  return violations;
}

/**
 * Every backfill ends; one DONE has a terminal run for each of its slots, none cancelled on another backfill's
 * account; and never more than `maxConcurrent` of its own runs are going at once.
 */
function backfillViolations(world: WorldFacts): string[] {
  const violations: string[] = [];
  const runs = new Map(world.runs.map((run) => [run.runId, run]));
  for (const backfill of world.backfills) {
    const v = (message: string) => violations.push(`backfill ${backfill.backfillId} (${backfill.state}): ${message}`);
    if (backfill.state === "ACTIVE") v("never ended");
    const slots = backfillSlots(backfill.schedule, new Date(backfill.from), new Date(backfill.to));
    if (backfill.state === "DONE") {
      for (const slot of slots) {
        const run = runs.get(backfillRunId(backfill.flow, slot));
        if (!run || !isTerminal(run.state)) {
          v(`slot ${slot.toISOString()} has no ended run`);
          continue;
        }
        // A slot whose run had ended before this backfill was made counts as done (as a run that failed does); one
        // cancelled on another backfill's account while this one counted on it does not.
        const cancel = run.history.find((entry) => entry.state === RunState.CANCELLED);
        const foreign = cancel?.reason?.match(/backfill (\S+) (cancelled|ended)/)?.[1];
        if (
          cancel &&
          foreign &&
          foreign !== backfill.backfillId &&
          Date.parse(cancel.at) > Date.parse(backfill.createdAt)
        ) {
          v(`slot ${slot.toISOString()} was cancelled for backfill ${foreign} while this one counted on it`);
        }
      }
    }
    const own = world.runs.filter((run) => run.backfillId === backfill.backfillId);
    const spans = own.map((run) => ({
      from: Date.parse(run.createdAt),
      to: Date.parse(run.history.find((entry) => isTerminal(entry.state))?.at ?? new Date(8.64e15).toISOString()),
    }));
    for (const span of spans) {
      const going = spans.filter((other) => other.from <= span.from && span.from < other.to).length;
      if (going > backfill.maxConcurrent) v(`${going} of its runs going at once (at most ${backfill.maxConcurrent})`);
    }
  }
  return violations;
}

/**
 * A paused flow's own fires (schedule, upstream) never launch while it is paused: a fire launches only if its look at
 * the pause after its run was written (and before RunTask) found none, so a fire whose whole window from that write to
 * its RunTask lay inside a pause is a violation. Each pause that held a fire is told to on-call once.
 */
function pauseViolations(world: WorldFacts): string[] {
  const violations: string[] = [];
  for (const run of world.runs) {
    if (run.trigger !== Trigger.schedule && run.trigger !== Trigger.upstream) continue;
    const created = world.createdSeq.get(run.runId);
    const launched = world.launchedSeq.get(run.runId);
    if (created === undefined || launched === undefined) continue;
    const holding = world.pauses.find(
      (pause) => pause.flow === run.flow && pause.fromSeq < created && launched < pause.untilSeq,
    );
    if (holding) violations.push(`${run.runId}: launched although ${run.flow} was paused (at ${holding.pausedAt})`);
  }
  const held = new Set(
    world.runs.filter((run) => run.pausedAt !== undefined).map((run) => `${run.flow}#${run.pausedAt}`),
  );
  for (const pause of held) {
    const notices = world.posts.filter((text) => pauseNoticeKey(text) === pause).length;
    if (notices !== 1) violations.push(`the pause ${pause} was told to on-call ${notices} times`);
  }
  return violations;
}

/** `<runId>#<attempt>#<state>` of a run alert, read from its text ("… in sim, run <id>, attempt <n> of <m>…"). */
function alertKey(text: string): string | undefined {
  const match = / (failed|timed out|lost|attempt failed|skipped) in sim, run (\S+), attempt (\d+) of/.exec(text);
  if (!match) return undefined;
  const states: Record<string, string> = {
    failed: "FAILED",
    "timed out": "TIMED_OUT",
    lost: "LOST",
    "attempt failed": "RETRYING",
    skipped: "SKIPPED",
  };
  return `${match[2]}#${match[3]}#${states[match[1]!]}`;
}

/** `<flow>#<pausedAt>` of a pause notice ("<flow> is paused in sim: … (paused by <who> at <pausedAt>…"). */
function pauseNoticeKey(text: string): string | undefined {
  const match = /(\S+) is paused in sim: .*\(paused by .+? at (\d{4}-\d{2}-\d{2}T[\d:.]+Z)/.exec(text);
  return match ? `${match[1]}#${match[2]}` : undefined;
}

function* pairs<T>(items: readonly T[]): Generator<[T, T]> {
  for (let i = 0; i < items.length; i += 1) for (let j = i + 1; j < items.length; j += 1) yield [items[i]!, items[j]!];
}

function overlap(a: SimTask, b: SimTask): boolean {
  const end = (task: SimTask) => task.stopAt ?? Infinity;
  return a.startAt < end(b) && b.startAt < end(a);
}
