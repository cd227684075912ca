import type { ControlPlanePorts } from "../lambdas/composition-root";
import { explainRejection } from "../lambdas/core/explain-rejection";
import { ATTEMPT_FIELDS } from "../lambdas/core/run";
import { predecessorsOf } from "../lambdas/core/run-state";
import { taskIdOf } from "../contracts/resource-names";

type RunStorePort = ControlPlanePorts["runs"];
type Run = NonNullable<Awaited<ReturnType<RunStorePort["get"]>>>;
type NewRun = Parameters<RunStorePort["create"]>[0];
type TransitionRequest = Parameters<RunStorePort["transition"]>[0];

/**
 * The run store in memory, for measuring the launcher with no I/O: the same conditions as the DynamoDB store's
 * conditional writes (allowed previous states, same attempt, same task, newer version), applied to plain objects.
 * Methods the bench does not model (added to the port later) resolve to nothing and are listed in `unmodelled`, so the
 * section can say so instead of failing.
 */
export function memoryRunStore(): { store: RunStorePort; unmodelled: Set<string> } {
  const runs = new Map<string, Run>();
  const locks = new Map<string, { runId: string; acquiredAt: string }>();
  const copy = (run: Run): Run => ({ ...run, history: [...run.history] });
  const model = {
    async create(run: NewRun) {
      const existing = runs.get(run.runId);
      if (existing) return { created: false, run: copy(existing) };
      const first = {
        at: run.createdAt,
        state: run.state,
        attempt: run.attempt,
        source: "launcher" as const,
        ...(run.reason && { reason: run.reason }),
      };
      const stored = { ...run, updatedAt: run.createdAt, history: [first] } as unknown as Run;
      runs.set(run.runId, stored);
      return { created: true, run: copy(stored) };
    },
    async get(runId: string) {
      const run = runs.get(runId);
      return run && copy(run);
    },
    async transition(request: TransitionRequest) {
      const run = runs.get(request.runId);
      const allowed =
        run &&
        predecessorsOf(request.to, { byTask: request.task !== undefined }).includes(run.state) &&
        run.attempt === request.attempt &&
        !(request.withoutTask && run.taskArn !== undefined) &&
        !(request.withoutSettlement && run.settlement !== undefined) &&
        (!request.task ||
          ((run.taskArn === undefined || run.taskArn === request.task.taskArn) &&
            (run.taskVersion === undefined || run.taskVersion < request.task.version)));
      if (!run || !allowed) {
        return { applied: false, reason: explainRejection(run && copy(run), request), ...(run && { run: copy(run) }) };
      }
      const from = run.state;
      const attempt = request.nextAttempt ? request.attempt + 1 : request.attempt;
      const record = run as unknown as Record<string, unknown>;
      if (request.nextAttempt) {
        for (const field of Object.keys(ATTEMPT_FIELDS)) delete record[field];
        record.attempt = attempt;
        record.deadline = request.nextAttempt.deadline;
      }
      for (const [field, value] of Object.entries(request.fields ?? {})) if (value !== undefined) record[field] = value;
      if (request.task) {
        record.taskArn = request.task.taskArn;
        record.taskVersion = request.task.version;
      }
      record.state = request.to;
      record.updatedAt = request.at;
      run.history.push({
        at: request.at,
        state: request.to,
        attempt,
        source: request.source,
        ...(request.task && { taskVersion: request.task.version, taskId: taskIdOf(request.task.taskArn) }),
      } as Run["history"][number]);
      return { applied: true, from, run: copy(run) };
    },
    async listByFlow(flow: string, options: { limit: number; state?: string }) {
      return [...runs.values()]
        .filter((run) => run.flow === flow && (!options.state || run.state === options.state))
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
        .slice(0, options.limit)
        .map(copy);
    },
    async acquireLock(flow: string, runId: string, at: string, staleHolder?: string) {
      const held = locks.get(flow);
      if (!held || held.runId === runId || held.runId === staleHolder) {
        locks.set(flow, { runId, acquiredAt: at });
        return { acquired: true };
      }
      return { acquired: false, holder: held.runId, acquiredAt: held.acquiredAt };
    },
    async releaseLock(flow: string, runId: string) {
      if (locks.get(flow)?.runId === runId) locks.delete(flow);
    },
    async lockHolder(flow: string) {
      return locks.get(flow);
    },
  };
  const unmodelled = new Set<string>();
  const store = new Proxy(model, {
    get(target, property) {
      if (property in target) return target[property as keyof typeof target];
      if (typeof property !== "string" || property === "then") return undefined;
      return async () => {
        unmodelled.add(property);
        return undefined;
      };
    },
  }) as unknown as RunStorePort;
  return { store, unmodelled };
}
