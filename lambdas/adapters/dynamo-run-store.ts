import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { explainRejection } from "../core/explain-rejection";
import type {
  CreateResult,
  LockResult,
  RunListOptions,
  RunStore,
  TransitionRequest,
  TransitionResult,
} from "../core/ports";
import type { NewRun, Run, RunTransition } from "../core/run";
import { ATTEMPT_FIELDS } from "../core/run";
import { isTerminal } from "../../contracts/run-states";
import { predecessorsOf } from "../core/run-state";
import { RUNS_TABLE } from "../../contracts/runs-table";
import { taskIdOf } from "../../contracts/resource-names";
import { conditionalWrite } from "./conditional-write";
import { activePartition, byFlowPartition, byFlowSort, expiresAt, lockKey, runKey } from "./runs-table-keys";
import { attr, expr, oneOf, WriteExpression } from "./write-expression";

export interface DynamoRunStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Runs are deleted by DynamoDB TTL this many days after they were created. */
  retentionDays: number;
}

/** What moving to the next attempt clears: everything the last attempt left, as the run's type declares it. */
const LAST_ATTEMPT = Object.keys(ATTEMPT_FIELDS);

const INTERNAL_ATTRIBUTES = [
  RUNS_TABLE.partitionKey,
  RUNS_TABLE.sortKey,
  RUNS_TABLE.ttlAttribute,
  RUNS_TABLE.indexes.byFlow.partitionKey,
  RUNS_TABLE.indexes.byFlow.sortKey,
  RUNS_TABLE.indexes.active.partitionKey,
  RUNS_TABLE.indexes.active.sortKey,
];

/** {@link RunStore} on the single runs table. Every write is conditional; nothing needs a transaction. */
export class DynamoRunStore implements RunStore {
  constructor(private readonly options: DynamoRunStoreOptions) {}

  get tableName(): string {
    return this.options.tableName;
  }

  /** The client this store writes with: the other adapters of the same table (flow state, markers) share it. */
  get client(): DynamoDBDocumentClient {
    return this.options.client;
  }

  async create(run: NewRun): Promise<CreateResult> {
    const first: RunTransition = {
      at: run.createdAt,
      state: run.state,
      attempt: run.attempt,
      source: "launcher",
      ...(run.reason && { reason: run.reason }),
    };
    const stored: Run = { ...run, updatedAt: run.createdAt, history: [first] };
    const put = await conditionalWrite(
      this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: {
            ...stored,
            ...runKey(run.runId),
            [RUNS_TABLE.indexes.byFlow.partitionKey]: byFlowPartition(run.flow),
            [RUNS_TABLE.indexes.byFlow.sortKey]: byFlowSort(run.createdAt, run.runId),
            // In the active index while it can still move, or while its ending still owes something.
            ...((!isTerminal(run.state) || run.settlement) && {
              [RUNS_TABLE.indexes.active.partitionKey]: activePartition(run.flow),
              [RUNS_TABLE.indexes.active.sortKey]: run.deadline,
            }),
            [RUNS_TABLE.ttlAttribute]: expiresAt(run.createdAt, this.options.retentionDays),
          },
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": RUNS_TABLE.partitionKey },
        }),
      ),
    );
    if (put.written) return { created: true, run: stored };
    const existing = await this.get(run.runId);
    if (!existing) throw put.refusal;
    return { created: false, run: existing };
  }

  async get(runId: string): Promise<Run | undefined> {
    const { Item } = await this.options.client.send(
      new GetCommand({ TableName: this.options.tableName, Key: runKey(runId), ConsistentRead: true }),
    );
    return Item ? toRun(Item) : undefined;
  }

  async transition(request: TransitionRequest): Promise<TransitionResult> {
    const active = RUNS_TABLE.indexes.active;
    const attempt = request.nextAttempt ? request.attempt + 1 : request.attempt;
    const entry: RunTransition = {
      at: request.at,
      state: request.to,
      attempt,
      source: request.source,
      ...(request.task && { taskVersion: request.task.version, taskId: taskIdOf(request.task.taskArn) }),
      ...pick(request.fields, ["exitCode", "stopCode", "reason"]),
    };
    const allowed = predecessorsOf(request.to, { byTask: request.task !== undefined });
    const update = new WriteExpression()
      .when(expr`attribute_exists(${attr(RUNS_TABLE.partitionKey)})`)
      .when(expr`${attr("state")} IN (${oneOf(allowed)})`)
      .when(expr`${attr("attempt")} = ${request.attempt}`)
      .set("state", request.to)
      .set("updatedAt", request.at)
      .set(expr`${attr("history")} = list_append(${attr("history")}, ${[entry]})`);
    if (request.task) {
      const { taskArn, version } = request.task;
      update
        .when(expr`attribute_not_exists(${attr("taskArn")}) OR ${attr("taskArn")} = ${taskArn}`)
        .when(expr`attribute_not_exists(${attr("taskVersion")}) OR ${attr("taskVersion")} < ${version}`)
        .set("taskVersion", version)
        .set("taskArn", taskArn)
        .remove("lastLaunchError");
    }
    if (request.withoutTask) update.when(expr`attribute_not_exists(${attr("taskArn")})`);
    if (request.withoutSettlement) update.when(expr`attribute_not_exists(${attr("settlement")})`);
    for (const [field, value] of Object.entries(request.fields ?? {})) {
      if (value !== undefined) update.set(field, value);
    }
    if (request.settle) {
      // The change owes work (announcing it, stopping a task): the run stays in the active index until it is done.
      update.set("settlement", request.settle);
    } else if (isTerminal(request.to)) {
      update.remove(active.partitionKey, active.sortKey);
    }
    if (request.nextAttempt) {
      const { deadline } = request.nextAttempt;
      update
        .set("attempt", attempt)
        .set("deadline", deadline)
        .set(active.sortKey, deadline)
        .remove(...LAST_ATTEMPT);
      if (!request.settle) update.remove("settlement");
    }
    const write = await conditionalWrite(
      this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: runKey(request.runId),
          ...update.build(),
          ReturnValues: "ALL_NEW",
        }),
      ),
    );
    if (write.written) {
      const run = toRun(write.output.Attributes!);
      const previous = run.history[run.history.length - 2];
      return { applied: true, from: previous!.state, run };
    }
    const run = await this.get(request.runId);
    return { applied: false, reason: explainRejection(run, request), ...(run && { run }) };
  }

  async acquireLock(flow: string, runId: string, at: string, staleHolder?: string): Promise<LockResult> {
    const holders = staleHolder ? [runId, staleHolder] : [runId];
    const lock = new WriteExpression().when(
      expr`attribute_not_exists(${attr(RUNS_TABLE.partitionKey)}) OR ${attr("holder")} IN (${oneOf(holders)})`,
    );
    const put = await conditionalWrite(
      this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: { ...lockKey(flow), holder: runId, acquiredAt: at },
          ...lock.build(),
        }),
      ),
    );
    if (put.written) return { acquired: true };
    const holder = await this.lockHolder(flow);
    // Released between our write and our read: try once more.
    return holder === undefined
      ? this.acquireLock(flow, runId, at)
      : { acquired: false, holder: holder.runId, acquiredAt: holder.acquiredAt };
  }

  async releaseLock(flow: string, runId: string): Promise<void> {
    // Refused when someone else holds it now: theirs to release.
    await conditionalWrite(
      this.options.client.send(
        new DeleteCommand({
          TableName: this.options.tableName,
          Key: lockKey(flow),
          ConditionExpression: "holder = :runId",
          ExpressionAttributeValues: { ":runId": runId },
        }),
      ),
    );
  }

  async lockHolder(flow: string): Promise<{ runId: string; acquiredAt: string } | undefined> {
    const { Item } = await this.options.client.send(
      new GetCommand({ TableName: this.options.tableName, Key: lockKey(flow), ConsistentRead: true }),
    );
    return Item ? { runId: Item.holder as string, acquiredAt: Item.acquiredAt as string } : undefined;
  }

  async listActivePage(
    flow: string,
    options: { limit: number; cursor?: string },
  ): Promise<{ runs: Run[]; cursor?: string }> {
    const index = RUNS_TABLE.indexes.active;
    const { Items = [], LastEvaluatedKey } = await this.options.client.send(
      new QueryCommand({
        TableName: this.options.tableName,
        IndexName: index.name,
        KeyConditionExpression: "#pk = :pk",
        ExpressionAttributeNames: { "#pk": index.partitionKey },
        ExpressionAttributeValues: { ":pk": activePartition(flow) },
        Limit: options.limit,
        ...(options.cursor && {
          ExclusiveStartKey: JSON.parse(Buffer.from(options.cursor, "base64url").toString("utf8")),
        }),
      }),
    );
    return {
      runs: Items.map(toRun),
      ...(LastEvaluatedKey && { cursor: Buffer.from(JSON.stringify(LastEvaluatedKey)).toString("base64url") }),
    };
  }

  async noteLaunchError(runId: string, attempt: number, error: string): Promise<void> {
    const note = new WriteExpression()
      .when(expr`${attr("state")} = ${"PENDING"}`)
      .when(expr`${attr("attempt")} = ${attempt}`)
      .when(expr`attribute_not_exists(${attr("taskArn")})`)
      .set("lastLaunchError", error.slice(0, 1000));
    // Refused when the launch got further meanwhile: the error is no longer the attempt's news.
    await conditionalWrite(
      this.options.client.send(
        new UpdateCommand({ TableName: this.options.tableName, Key: runKey(runId), ...note.build() }),
      ),
    );
  }

  async noteRedrive(runId: string, attempt: number): Promise<void> {
    const note = new WriteExpression()
      .when(expr`${attr("state")} IN (${oneOf(["PENDING", "RETRYING"])})`)
      .when(expr`${attr("attempt")} = ${attempt}`)
      .set(expr`${attr("redrives")} = if_not_exists(${attr("redrives")}, ${0}) + ${1}`);
    // Refused when the attempt moved on meanwhile: there is nothing left to re-drive.
    await conditionalWrite(
      this.options.client.send(
        new UpdateCommand({ TableName: this.options.tableName, Key: runKey(runId), ...note.build() }),
      ),
    );
  }

  async settle(runId: string, ended: boolean): Promise<void> {
    const index = RUNS_TABLE.indexes.active;
    const settled = new WriteExpression().when(expr`attribute_exists(${attr("settlement")})`).remove("settlement");
    if (ended) settled.remove(index.partitionKey, index.sortKey);
    // Refused when it was settled already.
    await conditionalWrite(
      this.options.client.send(
        new UpdateCommand({ TableName: this.options.tableName, Key: runKey(runId), ...settled.build() }),
      ),
    );
  }

  async listByFlow(flow: string, options: RunListOptions): Promise<Run[]> {
    const index = RUNS_TABLE.indexes.byFlow;
    const names: Record<string, string> = { "#pk": index.partitionKey };
    const values: Record<string, unknown> = { ":pk": byFlowPartition(flow) };
    // The sort key is `<createdAt>#<runId>`: a time range is a key range. DynamoDB takes one condition on a sort key,
    // so both ends are a BETWEEN (inclusive), and `before` itself is dropped after reading.
    if (options.since !== undefined) values[":since"] = options.since;
    if (options.before !== undefined) values[":before"] = options.before;
    const range =
      options.since !== undefined && options.before !== undefined
        ? ["#sk BETWEEN :since AND :before"]
        : options.since !== undefined
          ? ["#sk >= :since"]
          : options.before !== undefined
            ? ["#sk < :before"]
            : [];
    if (range.length) names["#sk"] = index.sortKey;
    const beforeKey = (run: Run) => byFlowSort(run.createdAt, run.runId) === options.before;
    const filters: string[] = [];
    if (options.state) {
      names["#state"] = "state";
      values[":state"] = options.state;
      filters.push("#state = :state");
    }
    if (options.trigger) {
      names["#trigger"] = "trigger";
      values[":trigger"] = options.trigger;
      filters.push("#trigger = :trigger");
    }
    const runs: Run[] = [];
    let startKey: Record<string, unknown> | undefined;
    // A filter is applied after each page is read, so keep paging until the limit is met or the index ends.
    do {
      const page = await this.options.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          IndexName: index.name,
          KeyConditionExpression: ["#pk = :pk", ...range].join(" AND "),
          ...(filters.length && { FilterExpression: filters.join(" AND ") }),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: options.limit,
          ExclusiveStartKey: startKey,
        }),
      );
      runs.push(...(page.Items ?? []).map(toRun).filter((run) => !beforeKey(run)));
      startKey = page.LastEvaluatedKey;
    } while (startKey && runs.length < options.limit);
    return runs.slice(0, options.limit);
  }
}

function toRun(item: Record<string, unknown>): Run {
  const run = { ...item };
  for (const attribute of INTERNAL_ATTRIBUTES) delete run[attribute];
  return run as unknown as Run;
}

function pick<T extends object, K extends keyof T>(source: T | undefined, keys: readonly K[]): Partial<Pick<T, K>> {
  const picked: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source?.[key] !== undefined) picked[key] = source[key];
  return picked;
}
