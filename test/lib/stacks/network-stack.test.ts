import { Match } from 'aws-cdk-lib/assertions';
import { platformFor } from '../platform-fixture';

describe('network stack', () => {
  const dev = platformFor('default');
  const prod = platformFor('example-academy');

  it('spans two AZs with public, private and isolated subnets', () => {
    const t = dev.template('network');
    t.resourceCountIs('AWS::EC2::Subnet', 6);
    const types = Object.values(t.findResources('AWS::EC2::Subnet')).map(
      (s) => s.Properties.Tags.find((tag: { Key: string }) => tag.Key === 'aws-cdk:subnet-type').Value,
    );
    expect(types.sort()).toEqual(['Isolated', 'Isolated', 'Private', 'Private', 'Public', 'Public']);
  });

  it('names its zones when bound to a region, so synth needs no lookup', () => {
    const zones = Object.values(prod.template('network').findResources('AWS::EC2::Subnet')).map(
      (s) => s.Properties.AvailabilityZone,
    );
    expect(new Set(zones)).toEqual(new Set(['ap-northeast-2a', 'ap-northeast-2b']));
  });

  it('has as many NAT gateways as the config asks', () => {
    dev.template('network').resourceCountIs('AWS::EC2::NatGateway', 1);
    prod.template('network').resourceCountIs('AWS::EC2::NatGateway', 2);
  });

  it('reaches the AWS APIs the private compute calls through interface endpoints where the config asks', () => {
    const t = prod.template('network');
    const endpoints = Object.values(t.findResources('AWS::EC2::VPCEndpoint')).filter(
      (e) => e.Properties.VpcEndpointType === 'Interface',
    );
    const serviceOf = (e: (typeof endpoints)[number]) =>
      (e.Properties.ServiceName as string).replace(/^com\.amazonaws\.ap-northeast-2\./, '');
    expect(endpoints.map(serviceOf).sort()).toEqual([
      'ecr.api',
      'ecr.dkr',
      'events',
      'logs',
      'secretsmanager',
      'sqs',
    ]);
    const privateSubnets = prod.platform.network.resolve(
      prod.platform.network.vpc.privateSubnets.map((s) => s.subnetId),
    );
    for (const endpoint of endpoints) {
      // Private DNS: the SDKs' default hostnames resolve to the endpoints, in both zones.
      expect(endpoint.Properties).toMatchObject({ PrivateDnsEnabled: true, SubnetIds: privateSubnets });
    }
    // One security group: HTTPS from within the VPC, nothing else in.
    const groups = new Set(endpoints.map((e) => JSON.stringify(e.Properties.SecurityGroupIds)));
    expect(groups.size).toBe(1);
    const [[, group]] = Object.entries(t.findResources('AWS::EC2::SecurityGroup')).filter(([id]) =>
      [...groups][0]!.includes(id),
    ) as [[string, { Properties: Record<string, unknown> }]];
    expect(group.Properties.SecurityGroupIngress).toEqual([
      expect.objectContaining({ CidrIp: '10.0.0.0/16', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
    ]);
    // dev goes through its one NAT gateway instead.
    dev
      .template('network')
      .resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface' }, 0);
  });

  it('has gateway endpoints for S3 and DynamoDB', () => {
    for (const service of ['s3', 'dynamodb']) {
      dev.template('network').hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Gateway',
        ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([`.${service}`])] }),
      });
    }
  });

  it('logs rejected traffic with the configured retention', () => {
    dev.template('network').hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT' });
    dev.template('network').hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('matches the snapshot', () => {
    expect(dev.template('network').toJSON()).toMatchSnapshot();
  });
});
