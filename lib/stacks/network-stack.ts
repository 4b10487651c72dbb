import { RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { Role } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { servicePrincipalFor } from '../service-principal';

export interface NetworkStackProps extends StackProps {
  /** One NAT gateway saves money in dev; two keep egress up when an AZ fails. */
  readonly natGateways: number;
  readonly logRetention: RetentionDays;
  /**
   * Explicit zones for a stack bound to an account and region, where CDK would otherwise look them up.
   * @default - two zones chosen by CloudFormation (Fn::GetAZs) for an environment-agnostic stack
   */
  readonly availabilityZones?: readonly string[];
}

/** The VPC: public subnets for load balancers and NAT, private ones for compute, isolated ones for data. */
export class NetworkStack extends Stack {
  public readonly vpc: Vpc;
  private readonly zones: readonly string[] | undefined;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    this.zones = props.availabilityZones;
    if (this.zones) {
      Validations.of(this).acknowledge({
        id: 'CloudFormation-Validate::W3010',
        reason: 'Zones are named in the institution config so that synth needs no account lookup.',
      });
    }
    this.vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: props.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: 'isolated', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      // Free, and they keep S3 and DynamoDB traffic off the NAT gateways (and their per-GB charge).
      gatewayEndpoints: {
        s3: { service: GatewayVpcEndpointAwsService.S3 },
        dynamodb: { service: GatewayVpcEndpointAwsService.DYNAMODB },
      },
    });
    const flowLogs = new LogGroup(this, 'FlowLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // The flow log's ARN would be a cycle (the flow log names the role), hence any flow log of this account.
    const flowLogRole = new Role(this, 'FlowLogRole', {
      assumedBy: servicePrincipalFor(
        this,
        'vpc-flow-logs.amazonaws.com',
        this.formatArn({ service: 'ec2', resource: 'vpc-flow-log', resourceName: '*' }),
      ),
      description: 'Delivers the VPC flow log to its log group',
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: FlowLogDestination.toCloudWatchLogs(flowLogs, flowLogRole),
      trafficType: FlowLogTrafficType.REJECT,
    });
  }

  /** The configured zones replace CDK's context lookup, which would need AWS credentials at synth. */
  override get availabilityZones(): string[] {
    return this.zones ? [...this.zones] : super.availabilityZones;
  }
}
