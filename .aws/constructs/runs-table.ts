import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { Construct } from "constructs";
import { RUNS_TABLE, RUNS_TABLE_KEY_ATTRIBUTES } from "../../lambdas/core/runs-table";

export interface RunsTableProps {
  name: string;
  deletionProtection: boolean;
}

/** The runs table from the shared definition (the local store creates the same one): on demand, PITR, encrypted, TTL. */
export class RunsTable extends Construct {
  readonly table: DynamodbTable;

  constructor(scope: Construct, id: string, props: RunsTableProps) {
    super(scope, id);
    this.table = new DynamodbTable(this, "table", {
      name: props.name,
      billingMode: "PAY_PER_REQUEST",
      hashKey: RUNS_TABLE.partitionKey,
      rangeKey: RUNS_TABLE.sortKey,
      attribute: RUNS_TABLE_KEY_ATTRIBUTES.map((name) => ({ name, type: "S" })),
      globalSecondaryIndex: Object.values(RUNS_TABLE.indexes).map((index) => ({
        name: index.name,
        hashKey: index.partitionKey,
        rangeKey: index.sortKey,
        projectionType: "ALL",
      })),
      ttl: { attributeName: RUNS_TABLE.ttlAttribute, enabled: true },
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true },
      deletionProtectionEnabled: props.deletionProtection,
    });
  }

  /** The table and its indexes, as IAM resources. */
  get resourceArns(): string[] {
    return [this.table.arn, `${this.table.arn}/index/*`];
  }
}
