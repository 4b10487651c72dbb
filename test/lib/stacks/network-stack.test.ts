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
