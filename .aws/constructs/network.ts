import { Eip } from "@cdktf/provider-aws/lib/eip";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import type { CreatedNetwork, ExistingNetwork } from "../config";

export interface NetworkProps {
  prefix: string;
  region: string;
  network: CreatedNetwork | ExistingNetwork;
}

/**
 * Where flow tasks run: private subnets with no public IPs, leaving through one NAT gateway whose Elastic IP is the
 * stable address to allow-list in Snowflake or Redshift. The task security group admits nothing and lets out HTTPS,
 * and HTTP for certificate revocation checks (OCSP responders and CRLs are served over port 80 by design; without it
 * the Snowflake driver waits for a timeout on every new connection). A created VPC reaches S3 through a gateway
 * endpoint, so image layers (ECR stores them in S3) do not pass through the NAT gateway's per-GB charge, and DynamoDB
 * through another (watermark proposals).
 */
export class Network extends Construct {
  readonly vpcId: string;
  readonly privateSubnetIds: string[];
  readonly taskSecurityGroupId: string;
  readonly egressIp: string;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const { prefix, network } = props;
    if (network.mode === "existing") {
      this.vpcId = network.vpcId;
      this.privateSubnetIds = network.privateSubnetIds;
      this.egressIp = network.egressIp;
    } else {
      const created = createVpc(this, prefix, network);
      this.vpcId = created.vpcId;
      this.privateSubnetIds = created.privateSubnetIds;
      this.egressIp = created.egressIp;
      new VpcEndpoint(this, "s3-gateway-endpoint", {
        vpcId: created.vpcId,
        serviceName: `com.amazonaws.${props.region}.s3`,
        vpcEndpointType: "Gateway",
        routeTableIds: [created.privateRouteTableId],
        tags: { Name: `${prefix}-s3` },
      });
      // Flows that keep a watermark write it to the runs table: a gateway endpoint costs nothing and skips the NAT.
      new VpcEndpoint(this, "dynamodb-gateway-endpoint", {
        vpcId: created.vpcId,
        serviceName: `com.amazonaws.${props.region}.dynamodb`,
        vpcEndpointType: "Gateway",
        routeTableIds: [created.privateRouteTableId],
        tags: { Name: `${prefix}-dynamodb` },
      });
    }

    const tasks = new SecurityGroup(this, "task-security-group", {
      name: `${prefix}-flow-tasks`,
      description: "data-flows tasks: no inbound, HTTPS out",
      vpcId: this.vpcId,
      tags: { Name: `${prefix}-flow-tasks` },
    });
    new VpcSecurityGroupEgressRule(this, "task-egress-https", {
      securityGroupId: tasks.id,
      description: "HTTPS to AWS APIs, ECR, Snowflake and dbt Cloud",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      cidrIpv4: "0.0.0.0/0",
    });
    new VpcSecurityGroupEgressRule(this, "task-egress-ocsp", {
      securityGroupId: tasks.id,
      description: "HTTP for certificate revocation checks (OCSP, CRL) of TLS peers",
      ipProtocol: "tcp",
      fromPort: 80,
      toPort: 80,
      cidrIpv4: "0.0.0.0/0",
    });
    this.taskSecurityGroupId = tasks.id;
    if (network.interfaceEndpoints) this.addInterfaceEndpoints(prefix, props.region, tasks.id);
  }

  /**
   * Private endpoints for what every task calls (ECR to pull, Logs to write): that traffic leaves the NAT gateway's
   * per-GB charge for an hourly one per endpoint and AZ, worth it when many tasks pull large images.
   */
  private addInterfaceEndpoints(prefix: string, region: string, taskSecurityGroupId: string): void {
    const endpoints = new SecurityGroup(this, "endpoint-security-group", {
      name: `${prefix}-endpoints`,
      description: "data-flows interface endpoints: HTTPS from flow tasks",
      vpcId: this.vpcId,
      tags: { Name: `${prefix}-endpoints` },
    });
    new VpcSecurityGroupIngressRule(this, "endpoint-ingress-https", {
      securityGroupId: endpoints.id,
      description: "HTTPS from flow tasks",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      referencedSecurityGroupId: taskSecurityGroupId,
    });
    for (const service of ["ecr.api", "ecr.dkr", "logs"]) {
      new VpcEndpoint(this, `${service.replace(".", "-")}-endpoint`, {
        vpcId: this.vpcId,
        serviceName: `com.amazonaws.${region}.${service}`,
        vpcEndpointType: "Interface",
        subnetIds: this.privateSubnetIds,
        securityGroupIds: [endpoints.id],
        privateDnsEnabled: true,
        tags: { Name: `${prefix}-${service}` },
      });
    }
  }
}

function createVpc(scope: Construct, prefix: string, network: CreatedNetwork) {
  const vpc = new Vpc(scope, "vpc", {
    cidrBlock: network.cidrBlock,
    enableDnsHostnames: true,
    enableDnsSupport: true,
    tags: { Name: prefix },
  });
  const internet = new InternetGateway(scope, "internet-gateway", { vpcId: vpc.id, tags: { Name: prefix } });
  const publicRoutes = new RouteTable(scope, "public-routes", { vpcId: vpc.id, tags: { Name: `${prefix}-public` } });
  new Route(scope, "public-default-route", {
    routeTableId: publicRoutes.id,
    destinationCidrBlock: "0.0.0.0/0",
    gatewayId: internet.id,
  });
  const subnets = network.availabilityZones.map((zone, index) => {
    const publicSubnet = new Subnet(scope, `public-subnet-${index}`, {
      vpcId: vpc.id,
      availabilityZone: zone,
      cidrBlock: Fn.cidrsubnet(network.cidrBlock, 8, index),
      mapPublicIpOnLaunch: false,
      tags: { Name: `${prefix}-public-${zone}` },
    });
    new RouteTableAssociation(scope, `public-subnet-${index}-routes`, {
      subnetId: publicSubnet.id,
      routeTableId: publicRoutes.id,
    });
    const privateSubnet = new Subnet(scope, `private-subnet-${index}`, {
      vpcId: vpc.id,
      availabilityZone: zone,
      cidrBlock: Fn.cidrsubnet(network.cidrBlock, 8, 10 + index),
      mapPublicIpOnLaunch: false,
      tags: { Name: `${prefix}-private-${zone}` },
    });
    return { publicSubnet, privateSubnet };
  });
  const egress = new Eip(scope, "nat-egress-ip", { domain: "vpc", tags: { Name: `${prefix}-egress` } });
  const nat = new NatGateway(scope, "nat-gateway", {
    allocationId: egress.id,
    subnetId: subnets[0]!.publicSubnet.id,
    tags: { Name: prefix },
    dependsOn: [internet],
  });
  const privateRoutes = new RouteTable(scope, "private-routes", { vpcId: vpc.id, tags: { Name: `${prefix}-private` } });
  new Route(scope, "private-default-route", {
    routeTableId: privateRoutes.id,
    destinationCidrBlock: "0.0.0.0/0",
    natGatewayId: nat.id,
  });
  subnets.forEach(({ privateSubnet }, index) => {
    new RouteTableAssociation(scope, `private-subnet-${index}-routes`, {
      subnetId: privateSubnet.id,
      routeTableId: privateRoutes.id,
    });
  });
  return {
    vpcId: vpc.id,
    privateSubnetIds: subnets.map(({ privateSubnet }) => privateSubnet.id),
    privateRouteTableId: privateRoutes.id,
    egressIp: egress.publicIp,
  };
}
