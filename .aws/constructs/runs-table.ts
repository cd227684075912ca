import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { Construct } from "constructs";
import { FunctionEnv } from "../../contracts/control-plane";
import { RUNS_TABLE, RUNS_TABLE_KEY_ATTRIBUTES } from "../../contracts/runs-table";
import { allow } from "../iam";
import type { ControlPlaneFunction } from "./control-plane-function";

export interface RunsTableProps {
  name: string;
  deletionProtection: boolean;
  /** Runs expire (DynamoDB TTL) this many days after they were created; the functions stamp each item. */
  retentionDays: number;
}

/** The runs table from the shared definition (the local store creates the same one): on demand, PITR, encrypted, TTL. */
export class RunsTable extends Construct {
  readonly table: DynamodbTable;
  private readonly retentionDays: number;

  constructor(scope: Construct, id: string, props: RunsTableProps) {
    super(scope, id);
    this.retentionDays = props.retentionDays;
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

  /** Lets functions record and read runs (the `runs` and `markers` ports): the table's name and the item calls. */
  grantReadWrite(...functions: ControlPlaneFunction[]): void {
    for (const fn of functions) {
      fn.addEnvironment({
        [FunctionEnv.runsTableName]: this.table.name,
        [FunctionEnv.runRetentionDays]: String(this.retentionDays),
      });
      fn.addToRolePolicy(
        // DeleteItem releases overlap locks and gives back alert markers after a failed post.
        allow(
          ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"],
          this.resourceArns,
        ),
      );
    }
  }
}
