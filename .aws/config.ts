import type { EnvironmentNames } from "../contracts/resource-names";
import { environmentNames } from "../contracts/resource-names";
import type { FlowImage } from "../contracts/flow-images";

/**
 * One typed configuration per environment. Every difference between dev and prod lives here, never as an
 * `if (env === "prod")` inside a construct.
 */
export interface EnvironmentConfig {
  /** Short name: `data-flows-<environment>` prefixes every resource. */
  environment: "dev" | "prod";
  /** The segment of SSM parameter paths, `/DataFlows/<ssmEnvironment>/…`, as the existing parameters are named. */
  ssmEnvironment: string;
  region: string;
  /** Terraform refuses to apply this stack with credentials for any other account. */
  accountId: string;
  network: CreatedNetwork | ExistingNetwork;
  /** Where Terraform keeps this stack's state. */
  stateBackend: { bucket: string; key: string; region: string; lockTable: string };
  logRetentionDays: number;
  /** Runs expire from the table (DynamoDB TTL) this many days after they were created. */
  runRetentionDays: number;
  /** CPU architecture of the flow image the pipeline builds. */
  flowImageArchitecture: "X86_64" | "ARM64";
  /** Prod keeps the table when someone runs destroy. */
  tableDeletionProtection: boolean;
  alarms: {
    /** Alarm when a function reports more errors than this in one period. */
    functionErrorsPerPeriod: number;
    periodSeconds: number;
  };
  /** How many ECR images to keep; older ones expire. */
  keepImages: number;
  /** First backoff step before a failed attempt is retried (it grows per attempt). */
  retryBaseDelaySeconds: number;
  /** The role CI assumes through OIDC to deploy this environment. */
  deployRoleName: string;
  /**
   * X-Ray for the control-plane functions. `off` (Lambda's PassThrough, no X-Ray permissions) by default: every run's
   * story is already in its item's history and in log lines keyed by run id, and at one trace per invocation X-Ray was
   * over half of the control plane's bill per run (docs/cost.md). `active` traces the requests X-Ray's default rule
   * samples (the first each second, then 5 %): turn it on for an environment while chasing latency.
   */
  tracing: "off" | "active";
}

/** The hashicorp/aws releases the stacks work with; `.aws/.terraform.lock.hcl` pins the one deploys use. */
export const AWS_PROVIDER_VERSIONS = ">= 5.100.0, < 7.0.0";

/** The Terraform release the pipeline installs and the stacks require (at least). */
export const TERRAFORM_VERSION = "1.11.4";

/** A VPC made by this stack: two AZs, public and private subnets, one NAT gateway with a stable Elastic IP. */
export interface CreatedNetwork {
  mode: "create";
  cidrBlock: string;
  availabilityZones: [string, string];
  /** ECR and Logs interface endpoints: cheaper than the NAT gateway once tasks pull many GB a month (README). */
  interfaceEndpoints: boolean;
}

/** A VPC that exists already; its private subnets must route out through a NAT gateway. */
export interface ExistingNetwork {
  mode: "existing";
  /** Interface endpoints in the existing VPC's private subnets (an S3 gateway endpoint is the VPC owner's to add). */
  interfaceEndpoints: boolean;
  vpcId: string;
  privateSubnetIds: string[];
  /** The NAT gateway's public address, reported as the stack's egress IP output. */
  egressIp: string;
}

export const environments: Record<EnvironmentConfig["environment"], EnvironmentConfig> = {
  dev: {
    environment: "dev",
    ssmEnvironment: "Dev",
    region: "eu-west-1",
    accountId: "111122223333",
    network: {
      mode: "create",
      cidrBlock: "10.20.0.0/16",
      availabilityZones: ["eu-west-1a", "eu-west-1b"],
      interfaceEndpoints: false,
    },
    stateBackend: {
      bucket: "data-flows-terraform-state-111122223333",
      key: "data-flows/dev.tfstate",
      region: "eu-west-1",
      lockTable: "data-flows-terraform-locks",
    },
    logRetentionDays: 30,
    runRetentionDays: 90,
    flowImageArchitecture: "X86_64",
    tableDeletionProtection: false,
    alarms: { functionErrorsPerPeriod: 0, periodSeconds: 300 },
    keepImages: 30,
    retryBaseDelaySeconds: 60,
    deployRoleName: "data-flows-deploy",
    tracing: "off",
  },
  prod: {
    environment: "prod",
    ssmEnvironment: "Prod",
    region: "eu-west-1",
    accountId: "444455556666",
    network: {
      mode: "create",
      cidrBlock: "10.30.0.0/16",
      availabilityZones: ["eu-west-1a", "eu-west-1b"],
      interfaceEndpoints: false,
    },
    stateBackend: {
      bucket: "data-flows-terraform-state-444455556666",
      key: "data-flows/prod.tfstate",
      region: "eu-west-1",
      lockTable: "data-flows-terraform-locks",
    },
    logRetentionDays: 365,
    runRetentionDays: 400,
    flowImageArchitecture: "X86_64",
    tableDeletionProtection: true,
    alarms: { functionErrorsPerPeriod: 0, periodSeconds: 300 },
    keepImages: 100,
    retryBaseDelaySeconds: 60,
    deployRoleName: "data-flows-deploy",
    tracing: "off",
  },
};

/** The names of an environment's resources: what the stack creates and what the CLI and functions look up. */
export const namesOf = (config: EnvironmentConfig): EnvironmentNames =>
  environmentNames(config.environment, config.ssmEnvironment);

/** The repository of one flow image in an environment (created by its stack). */
export const imageRepositoryUri = (config: EnvironmentConfig, image: FlowImage) =>
  `${config.accountId}.dkr.ecr.${config.region}.amazonaws.com/${namesOf(config).imageRepository(image)}`;
