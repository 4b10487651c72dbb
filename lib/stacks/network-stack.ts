import { RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  InterfaceVpcEndpointAwsService,
  IpAddresses,
  Peer,
  Port,
  SecurityGroup,
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
  /**
   * Interface endpoints, in both zones, for the AWS APIs the core service and the VPC's Lambdas call.
   * @default false - those calls leave through the NAT gateways
   */
  readonly interfaceEndpoints?: boolean;
  readonly logRetention: RetentionDays;
  /**
   * Explicit zones for a stack bound to an account and region, where CDK would otherwise look them up.
   * @default - two zones chosen by CloudFormation (Fn::GetAZs) for an environment-agnostic stack
   */
  readonly availabilityZones?: readonly string[];
}

/**
 * What the compute in the private subnets calls, and why: the core service's tasks pull their image (ECR's
 * API and registry; the layers come from S3, through its gateway endpoint), log (CloudWatch Logs), get the
 * database settings injected and read the password (Secrets Manager), drain their events queue (SQS) and
 * publish their outbox (EventBridge); the migration step and the database secret's rotation read Secrets
 * Manager. Cognito's token keys are fetched over the internet (NAT), once per task.
 */
// CDK's default range, written out so the endpoints' ingress rule names it as a literal (cdk-nag cannot read
// the VPC's CidrBlock attribute).
const VPC_CIDR = '10.0.0.0/16';

export const INTERFACE_ENDPOINT_SERVICES = {
  EcrApi: InterfaceVpcEndpointAwsService.ECR,
  EcrDocker: InterfaceVpcEndpointAwsService.ECR_DOCKER,
  Logs: InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  SecretsManager: InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  Sqs: InterfaceVpcEndpointAwsService.SQS,
  Events: InterfaceVpcEndpointAwsService.EVENTBRIDGE,
} as const;

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
      ipAddresses: IpAddresses.cidr(VPC_CIDR),
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
    if (props.interfaceEndpoints) this.addInterfaceEndpoints();
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

  /**
   * In the private subnets of both zones, with private DNS: the SDKs' default hostnames resolve to them. One
   * security group admits HTTPS from within the VPC, and the endpoints answer only; they open nothing out.
   */
  private addInterfaceEndpoints(): void {
    const securityGroup = new SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'Interface endpoints: HTTPS from within the VPC',
      allowAllOutbound: false,
    });
    securityGroup.addIngressRule(Peer.ipv4(VPC_CIDR), Port.tcp(443), 'HTTPS to AWS APIs from the VPC');
    for (const [id, service] of Object.entries(INTERFACE_ENDPOINT_SERVICES)) {
      this.vpc.addInterfaceEndpoint(id, {
        service,
        subnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
        securityGroups: [securityGroup],
        open: false,
      });
    }
  }

  /** The configured zones replace CDK's context lookup, which would need AWS credentials at synth. */
  override get availabilityZones(): string[] {
    return this.zones ? [...this.zones] : super.availabilityZones;
  }
}
