import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { DescribeTableCommand, DynamoDBClient, GetItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import type { IncomingHttpHeaders } from "node:http";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * DynamoDB's documented capacity rules, applied to the requests a function really sends.
 * - Item size: attribute names + values; numbers ~1 byte per 2 significant digits + 1; lists and maps 3 bytes + 1 per
 *   element (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html).
 * - Writes: 1 write unit per KB, of the larger of the item before and after; a write whose condition fails still
 *   consumes, by the size of the existing item (at least 1). Reads: 1 unit per 4 KB strongly consistent, half that
 *   eventually consistent; a Query is charged for every item it reads (filters do not reduce it), at least one unit;
 *   reading a missing item still costs one (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html).
 * - Global secondary indexes: a write puts the item into an index whose key attributes it now has (1 write), deletes it
 *   from one whose key attribute it lost (1), moves it when an index key changes (2: delete + put), and updates it in
 *   place when a projected attribute changed (1); an item in no index before or after costs nothing there. An index
 *   write is sized by the index entry (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.Writes).
 *   Index queries are eventually consistent.
 */
export const CAPACITY_RULES_SOURCES = [
  "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html",
  "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html",
  "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.Writes",
];

type Item = Record<string, AttributeValue>;

export function attributeValueSize(value: AttributeValue | Record<string, unknown>): number {
  const v = value as Record<string, unknown>;
  if (typeof v.S === "string") return Buffer.byteLength(v.S);
  if (typeof v.N === "string") return numberSize(v.N);
  if (v.B !== undefined)
    return typeof v.B === "string" ? Buffer.from(v.B, "base64").length : (v.B as Uint8Array).length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (Array.isArray(v.SS)) return (v.SS as string[]).reduce((sum, s) => sum + Buffer.byteLength(s), 0);
  if (Array.isArray(v.NS)) return (v.NS as string[]).reduce((sum, n) => sum + numberSize(n), 0);
  if (Array.isArray(v.BS))
    return (v.BS as (string | Uint8Array)[]).reduce(
      (sum, b) => sum + attributeValueSize({ B: b } as AttributeValue),
      0,
    );
  if (Array.isArray(v.L))
    return 3 + (v.L as AttributeValue[]).reduce((sum, element) => sum + 1 + attributeValueSize(element), 0);
  if (v.M && typeof v.M === "object") {
    return (
      3 +
      Object.entries(v.M as Item).reduce(
        (sum, [name, element]) => sum + 1 + Buffer.byteLength(name) + attributeValueSize(element),
        0,
      )
    );
  }
  return 0;
}

function numberSize(text: string): number {
  const digits = text
    .replace(/^[-+]/, "")
    .replace(/[eE].*$/, "")
    .replace(".", "")
    .replace(/^0+/, "")
    .replace(/0+$/, "");
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

export function itemSize(item: Item | undefined): number {
  if (!item) return 0;
  return Object.entries(item).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name) + attributeValueSize(value),
    0,
  );
}

const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));
const readUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 4096));

/** What one function's requests consumed. Read units are read request units: strongly consistent 1, eventual 0.5. */
export interface DynamoTally {
  requests: Record<string, { ok: number; conditionFailed: number; otherErrors: number }>;
  writeUnitsTable: number;
  writeUnitsIndex: Record<string, number>;
  readUnits: number;
  readUnitsByOperation: Record<string, number>;
  /** Items written, as bytes, for storage: the largest size each item reached. */
  itemBytes: Record<string, number>;
  unmetered: string[];
}

export const emptyTally = (): DynamoTally => ({
  requests: {},
  writeUnitsTable: 0,
  writeUnitsIndex: {},
  readUnits: 0,
  readUnitsByOperation: {},
  itemBytes: {},
  unmetered: [],
});

interface TableShape {
  keys: string[];
  indexes: { name: string; keys: string[]; projection: { type: string; attributes: string[] } }[];
}

/**
 * An HTTP proxy in front of dynalite that meters every request passing through it: it reads the item before and
 * after each write (directly from dynalite, unmetered) and applies the rules above. `attribute` names whose requests
 * they are (one function at a time).
 */
export class DynamoMeter {
  attribute = "unattributed";
  readonly tallies = new Map<string, DynamoTally>();
  private readonly shadow: DynamoDBClient;
  private readonly shapes = new Map<string, TableShape>();
  private server?: ReturnType<typeof createServer>;

  constructor(private readonly upstream: string) {
    this.shadow = new DynamoDBClient({
      endpoint: upstream,
      region: "local",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
  }

  tally(name = this.attribute): DynamoTally {
    let tally = this.tallies.get(name);
    if (!tally) this.tallies.set(name, (tally = emptyTally()));
    return tally;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        this.handle(req.headers, req.method ?? "POST", req.url ?? "/", body).then(
          (answer) => {
            res.writeHead(answer.status, answer.headers);
            res.end(answer.body);
          },
          (error: unknown) => {
            res.writeHead(500, { "content-type": "application/x-amz-json-1.0" });
            res.end(JSON.stringify({ __type: "BenchMeterError", message: String(error) }));
          },
        );
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.shadow.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(headers: IncomingHttpHeaders, method: string, path: string, body: Buffer) {
    const operation = String(headers["x-amz-target"] ?? "").split(".")[1] ?? "unknown";
    const input = JSON.parse(body.toString("utf8") || "{}") as Record<string, unknown>;
    const tally = this.tally();
    const table = input.TableName as string | undefined;
    const shape = table ? await this.shapeOf(table) : undefined;
    const isWrite = ["PutItem", "UpdateItem", "DeleteItem"].includes(operation);
    const key = shape && isWrite ? this.keyOf(operation, input, shape) : undefined;
    const before = key ? await this.read(table!, key) : undefined;
    const answer = await forward(this.upstream, headers, method, path, body);
    const error =
      answer.status >= 400
        ? String((JSON.parse(answer.body.toString("utf8")) as { __type?: string }).__type ?? "")
        : "";
    const counts = (tally.requests[operation] ??= { ok: 0, conditionFailed: 0, otherErrors: 0 });
    const conditionFailed = error.endsWith("ConditionalCheckFailedException");
    if (!error) counts.ok += 1;
    else if (conditionFailed) counts.conditionFailed += 1;
    else counts.otherErrors += 1;
    if (error && !conditionFailed) return answer; // validation errors and the like consume nothing we can know

    if (isWrite && shape && key) {
      const after = await this.read(table!, key);
      if (conditionFailed) {
        tally.writeUnitsTable += writeUnits(
          before ? itemSize(before) : operation === "PutItem" ? itemSize(input.Item as Item) : 0,
        );
      } else {
        tally.writeUnitsTable += writeUnits(Math.max(itemSize(before), itemSize(after)));
        for (const index of shape.indexes) {
          const units = indexWriteUnits(index, shape.keys, before, after);
          if (units) tally.writeUnitsIndex[index.name] = (tally.writeUnitsIndex[index.name] ?? 0) + units;
        }
        const id = JSON.stringify(key);
        tally.itemBytes[id] = Math.max(tally.itemBytes[id] ?? 0, itemSize(after));
      }
    } else if (operation === "GetItem") {
      const item = (JSON.parse(answer.body.toString("utf8")) as { Item?: Item }).Item;
      addRead(tally, operation, readUnits(itemSize(item)) * (input.ConsistentRead ? 1 : 0.5));
    } else if (operation === "Query") {
      const evaluated = await this.evaluatedItems(input);
      const consistent = Boolean(input.ConsistentRead) && !input.IndexName;
      addRead(
        tally,
        operation,
        readUnits(evaluated.reduce((sum, item) => sum + itemSize(item), 0)) * (consistent ? 1 : 0.5),
      );
    } else if (!["DescribeTable"].includes(operation)) {
      tally.unmetered.push(operation);
    }
    return answer;
  }

  private keyOf(operation: string, input: Record<string, unknown>, shape: TableShape): Item {
    if (operation === "PutItem") {
      const item = input.Item as Item;
      return Object.fromEntries(shape.keys.map((name) => [name, item[name]!]));
    }
    return input.Key as Item;
  }

  private async read(table: string, key: Item): Promise<Item | undefined> {
    const { Item } = await this.shadow.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }));
    return Item;
  }

  /** The items a Query read before any filter: the same query without its filter, same limit and start. */
  private async evaluatedItems(input: Record<string, unknown>): Promise<Item[]> {
    const keyCondition = String(input.KeyConditionExpression ?? "");
    const used = (map: unknown) =>
      map
        ? Object.fromEntries(
            Object.entries(map as Record<string, unknown>).filter(([token]) => keyCondition.includes(token)),
          )
        : undefined;
    const { Items = [] } = await this.shadow.send(
      new QueryCommand({
        TableName: input.TableName as string,
        IndexName: input.IndexName as string | undefined,
        KeyConditionExpression: keyCondition,
        ExpressionAttributeNames: used(input.ExpressionAttributeNames) as Record<string, string> | undefined,
        ExpressionAttributeValues: used(input.ExpressionAttributeValues) as Item | undefined,
        Limit: input.Limit as number | undefined,
        ExclusiveStartKey: input.ExclusiveStartKey as Item | undefined,
        ScanIndexForward: input.ScanIndexForward as boolean | undefined,
        ConsistentRead: input.ConsistentRead as boolean | undefined,
      }),
    );
    return Items;
  }

  private async shapeOf(table: string): Promise<TableShape> {
    let shape = this.shapes.get(table);
    if (!shape) {
      const { Table } = await this.shadow.send(new DescribeTableCommand({ TableName: table }));
      shape = {
        keys: (Table?.KeySchema ?? []).map((key) => key.AttributeName!),
        indexes: (Table?.GlobalSecondaryIndexes ?? []).map((index) => ({
          name: index.IndexName!,
          keys: (index.KeySchema ?? []).map((key) => key.AttributeName!),
          projection: {
            type: index.Projection?.ProjectionType ?? "ALL",
            attributes: index.Projection?.NonKeyAttributes ?? [],
          },
        })),
      };
      this.shapes.set(table, shape);
    }
    return shape;
  }
}

function addRead(tally: DynamoTally, operation: string, units: number) {
  tally.readUnits += units;
  tally.readUnitsByOperation[operation] = (tally.readUnitsByOperation[operation] ?? 0) + units;
}

/** Write units one table write costs in one global secondary index, by the documented cases. */
export function indexWriteUnits(
  index: TableShape["indexes"][number],
  tableKeys: string[],
  before?: Item,
  after?: Item,
): number {
  const inIndex = (item?: Item) => Boolean(item && index.keys.every((name) => item[name] !== undefined));
  const entry = (item: Item) => {
    if (index.projection.type === "ALL") return item;
    const names = new Set([
      ...tableKeys,
      ...index.keys,
      ...(index.projection.type === "INCLUDE" ? index.projection.attributes : []),
    ]);
    return Object.fromEntries(Object.entries(item).filter(([name]) => names.has(name)));
  };
  const was = inIndex(before);
  const is = inIndex(after);
  if (!was && !is) return 0;
  if (!was) return writeUnits(itemSize(entry(after!)));
  if (!is) return writeUnits(itemSize(entry(before!)));
  const keyChanged = index.keys.some((name) => JSON.stringify(before![name]) !== JSON.stringify(after![name]));
  if (keyChanged) return writeUnits(itemSize(entry(before!))) + writeUnits(itemSize(entry(after!)));
  const changed = JSON.stringify(sorted(entry(before!))) !== JSON.stringify(sorted(entry(after!)));
  return changed ? writeUnits(itemSize(entry(after!))) : 0;
}

const sorted = (item: Item) => Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b)));

function forward(upstream: string, headers: IncomingHttpHeaders, method: string, path: string, body: Buffer) {
  const url = new URL(upstream);
  return new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const outgoing = request(
      { host: url.hostname, port: url.port, method, path, headers: { ...headers, host: url.host } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 500, headers: response.headers, body: Buffer.concat(chunks) }),
        );
        response.on("error", reject);
      },
    );
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}
