/**
 * Every price the cost model uses, in one table: list prices in US East (N. Virginia), USD, looked up on 2026-11-25
 * with the search tool. `source` is the AWS pricing page the figure belongs to; `seenIn` says where the figure was
 * read when the AWS page itself was not in the searchable index (a dated secondary source quoting it). The stacks
 * deploy to eu-west-1 (Ireland), where most of these are a few percent higher. Free tiers are not applied anywhere.
 */
export interface Price {
  usd: number;
  unit: string;
  region: string;
  asOf: string;
  source: string;
  seenIn?: string;
  note?: string;
}

const US_EAST_1 = "us-east-1";
const LOOKED_UP = "2026-11-25";

export const PRICES = {
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    unit: "per GB-second (Arm, first 7.5 billion GB-s a month)",
    region: US_EAST_1,
    asOf: LOOKED_UP,
    source: "https://aws.amazon.com/lambda/pricing/",
    seenIn: "https://cloudchipr.com/blog/aws-lambda-pricing (2024 guide, US East prices)",
    note: "INIT (cold start) duration is billed since 2025-08-01: https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase",
  },
  lambdaRequest: {
    usd: 0.2 / 1e6,
    unit: "per request ($0.20 per million)",
    region: US_EAST_1,
    asOf: LOOKED_UP,
    source: "https://aws.amazon.com/lambda/pricing/",
    seenIn: "https://cloudchipr.com/blog/aws-lambda-pricing",
  },
  dynamoWriteRequestUnit: {
    usd: 0.625 / 1e6,
    unit: "per write request unit, on-demand ($0.625 per million)",
    region: US_EAST_1,
    asOf: LOOKED_UP,
    source: "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    seenIn:
      "https://airbyte.com/data-engineering-resources/dynamodb-pricing (2025-07-21: after the November 2024 50% cut)",
  },
  dynamoReadRequestUnit: {
    usd: 0.125 / 1e6,
    unit: "per read request unit, on-demand ($0.125 per million)",
    region: US_EAST_1,
    asOf: LOOKED_UP,
    source: "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    seenIn: "https://airbyte.com/data-engineering-resources/dynamodb-pricing",
  },
  dynamoStorageGbMonth: {
    usd: 0.25,
    unit: "per GB-month stored (Standard table class)",
    region: US_EAST_1,
    asOf: LOOKED_UP,
    source: "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    note: "list price as published; not found in the searchable index to re-check",
  },
  dynamoPitrGbMonth: {
    usd: 0.2,
    unit: "per GB-month, continuous backups (point-in-time recovery is on)",
    region: US_EAST_1,
    asOf: LOOKED_UP,
    source: "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    note: "list price as published; not found in the searchable index to re-check",
  },
  eventBridgeCustomEvent: {
    usd: 1 / 1e6,
    unit: "per custom event published ($1.00 per million; AWS service events such as ECS task state changes are free)",
    region: US_EAST_1,
    asOf: LOOKED_UP,
    source: "https://aws.amazon.com/eventbridge/pricing/",
    seenIn: "https://cloudburn.io/blog/amazon-eventbridge-pricing (March 2026)",
  },
  schedulerInvocation: {
    usd: 1 / 1e6,
    unit: "per scheduled invocation ($1.00 per million after 14 million free a month)",
    region: US_EAST_1,
    asOf: LOOKED_UP,
    source: "https://aws.amazon.com/eventbridge/pricing/#Scheduler",
    seenIn: "https://cloudburn.io/blog/amazon-eventbridge-pricing (March 2026)",
  },
  fargateX86VcpuHour: {
    usd: 0.04048,
    unit: "per vCPU-hour (Linux/x86)",
    region: US_EAST_1,
    asOf: LOOKED_UP,
    source: "https://aws.amazon.com/fargate/pricing/",
    seenIn: "https://www.vantage.sh/blog/fargate-pricing",
  },
  fargateX86GbHour: {
    usd: 0.004445,
    unit: "per GB-hour (Linux/x86)",
    region: US_EAST_1,
    asOf: LOOKED_UP,
    source: "https://aws.amazon.com/fargate/pricing/",
    seenIn: "https://www.vantage.sh/blog/fargate-pricing",
  },
  natGatewayHour: {
    usd: 0.045,
    unit: "per NAT gateway-hour",
    region: US_EAST_1,
    asOf: LOOKED_UP,
    source: "https://aws.amazon.com/vpc/pricing/",
    seenIn: "README.md 'What you pay for' (same page)",
  },
  natGatewayGb: {
    usd: 0.045,
    unit: "per GB processed by a NAT gateway",
    region: US_EAST_1,
    asOf: LOOKED_UP,
    source: "https://aws.amazon.com/vpc/pricing/",
    seenIn: "README.md 'What you pay for' (same page)",
  },
  publicIpv4Hour: {
    usd: 0.005,
    unit: "per public IPv4 address-hour (the NAT gateway's Elastic IP)",
    region: US_EAST_1,
    asOf: LOOKED_UP,
    source: "https://aws.amazon.com/vpc/pricing/",
    seenIn: "README.md 'What you pay for' (same page)",
  },
  cloudWatchLogsIngestGb: {
    usd: 0.5,
    unit: "per GB ingested (Standard log class; Lambda logs: first tier)",
    region: US_EAST_1,
    asOf: LOOKED_UP,
    source: "https://aws.amazon.com/cloudwatch/pricing/",
    seenIn: "https://www.duckbillgroup.com/?p=9080 (May 2025 Lambda log tiers: first tier unchanged at $0.50)",
  },
  cloudWatchAlarmMonth: {
    usd: 0.1,
    unit: "per standard-resolution alarm-month",
    region: US_EAST_1,
    asOf: LOOKED_UP,
    source: "https://aws.amazon.com/cloudwatch/pricing/",
    seenIn: "https://c3x.dev/resources/aws/aws_cloudwatch_metric_alarm",
  },
  xrayTraceRecorded: {
    usd: 5 / 1e6,
    unit: "per trace recorded ($5.00 per million; first 100,000 a month free)",
    region: US_EAST_1,
    asOf: LOOKED_UP,
    source: "https://aws.amazon.com/xray/pricing/",
  },
  kmsKeyMonth: {
    usd: 1,
    unit: "per customer-managed key-month (the alarm topic's key)",
    region: US_EAST_1,
    asOf: LOOKED_UP,
    source: "https://aws.amazon.com/kms/pricing/",
    seenIn: "README.md 'What you pay for'",
  },
  ecrStorageGbMonth: {
    usd: 0.1,
    unit: "per GB-month of image storage",
    region: US_EAST_1,
    asOf: LOOKED_UP,
    source: "https://aws.amazon.com/ecr/pricing/",
    note: "list price as published; not found in the searchable index to re-check",
  },
  mwaaSmallEnvironmentHour: {
    usd: 0.49,
    unit: "per environment-hour, mw1.small (scheduler, web server and one worker included)",
    region: US_EAST_1,
    asOf: LOOKED_UP,
    source: "https://aws.amazon.com/managed-workflows-for-apache-airflow/pricing/",
    seenIn:
      "AWS's worked example (744 h × $0.49) as quoted in a study guide dated Oct 2026, and https://c3x.dev/blog/mwaa-cost-managed-airflow",
    note: "mw1.micro (25 DAGs, 3 concurrent tasks) is smaller, but I found no published price for it in the searchable sources",
  },
  mwaaDatabaseGbMonth: {
    usd: 0.1,
    unit: "per GB-month of metadata database storage",
    region: US_EAST_1,
    asOf: LOOKED_UP,
    source: "https://aws.amazon.com/managed-workflows-for-apache-airflow/pricing/",
    seenIn: "AWS's worked example (10 GB × $0.10/GB-month) as quoted in a study guide dated Oct 2026",
  },
} satisfies Record<string, Price>;

export type PriceId = keyof typeof PRICES;
