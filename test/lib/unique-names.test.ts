import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { parseConfig } from '#lib/config/load-config';
import { FIXTURE_CONFIG_DIR } from './fixture-configs';
import { platformFor } from './platform-fixture';

// Raw JSON as a fork would write it; the tests change it on purpose, so it stays loosely typed.
type RawConfig = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const raw = (name: string): RawConfig =>
  JSON.parse(readFileSync(join(FIXTURE_CONFIG_DIR, `${name}.json`), 'utf8'));

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The physical name of each resource type the stacks may name, and where it must be unique: `account` for
 * names unique in the whole account (CloudWatch dashboards, CloudFront's configurations, budgets, IAM), else
 * the stack's region.
 */
const NAMES: Record<string, { name: (p: Props) => unknown; accountWide?: true }> = {
  'AWS::CloudWatch::Dashboard': { name: (p) => p.DashboardName, accountWide: true },
  'AWS::CloudWatch::Alarm': { name: (p) => p.AlarmName },
  'AWS::CloudWatch::CompositeAlarm': { name: (p) => p.AlarmName },
  'AWS::Budgets::Budget': { name: (p) => p.Budget.BudgetName, accountWide: true },
  'AWS::CloudFront::KeyGroup': { name: (p) => p.KeyGroupConfig.Name, accountWide: true },
  'AWS::CloudFront::PublicKey': { name: (p) => p.PublicKeyConfig.Name, accountWide: true },
  'AWS::CloudFront::CachePolicy': { name: (p) => p.CachePolicyConfig.Name, accountWide: true },
  'AWS::CloudFront::OriginRequestPolicy': {
    name: (p) => p.OriginRequestPolicyConfig.Name,
    accountWide: true,
  },
  'AWS::CloudFront::ResponseHeadersPolicy': {
    name: (p) => p.ResponseHeadersPolicyConfig.Name,
    accountWide: true,
  },
  'AWS::CloudFront::OriginAccessControl': {
    name: (p) => p.OriginAccessControlConfig.Name,
    accountWide: true,
  },
  'AWS::CloudFront::Function': { name: (p) => p.Name, accountWide: true },
  'AWS::IAM::Role': { name: (p) => p.RoleName, accountWide: true },
  'AWS::IAM::ManagedPolicy': { name: (p) => p.ManagedPolicyName, accountWide: true },
  'AWS::S3::Bucket': { name: (p) => p.BucketName, accountWide: true },
  'AWS::Cognito::UserPoolDomain': { name: (p) => p.Domain },
  'AWS::SES::ConfigurationSet': { name: (p) => p.Name },
  'AWS::IVS::RecordingConfiguration': { name: (p) => p.Name },
  'AWS::IVS::PlaybackKeyPair': { name: (p) => p.Name },
  'AWS::IVSChat::LoggingConfiguration': { name: (p) => p.Name },
  'AWS::MediaConvert::Queue': { name: (p) => p.Name },
  'AWS::Lambda::Function': { name: (p) => p.FunctionName },
  'AWS::SQS::Queue': { name: (p) => p.QueueName },
  'AWS::SNS::Topic': { name: (p) => p.TopicName },
  'AWS::DynamoDB::Table': { name: (p) => p.TableName },
  'AWS::DynamoDB::GlobalTable': { name: (p) => p.TableName },
  'AWS::Logs::LogGroup': { name: (p) => p.LogGroupName },
  'AWS::Events::EventBus': { name: (p) => p.Name },
  'AWS::Events::Rule': { name: (p) => p.Name },
  'AWS::KinesisFirehose::DeliveryStream': { name: (p) => p.DeliveryStreamName },
  'AWS::Glue::Database': { name: (p) => p.DatabaseInput.Name },
  'AWS::Athena::WorkGroup': { name: (p) => p.Name },
  'AWS::Scheduler::ScheduleGroup': { name: (p) => p.Name },
  'AWS::Scheduler::Schedule': { name: (p) => p.Name },
  'AWS::SecretsManager::Secret': { name: (p) => p.Name },
  'AWS::SSM::Parameter': { name: (p) => p.Name },
  'AWS::KMS::Alias': { name: (p) => p.AliasName },
  'AWS::ECS::Cluster': { name: (p) => p.ClusterName },
  'AWS::ECR::Repository': { name: (p) => p.RepositoryName },
  'AWS::RDS::DBInstance': { name: (p) => p.DBInstanceIdentifier },
  'AWS::ElasticLoadBalancingV2::LoadBalancer': { name: (p) => p.Name },
  'AWS::ElasticLoadBalancingV2::TargetGroup': { name: (p) => p.Name },
};

/**
 * Every physical name a platform's templates set, as `<scope> <type> <name>`, where the scope is `account`
 * or the region: the names a second platform in the same account must not take. A name made of tokens
 * counts by its template form, with the stack's region for `AWS::Region`. `generated` holds those made from
 * the stack's name (by CDK, or by a stack adding the region), which are as unique as the stack names.
 */
function physicalNames(stacks: readonly Stack[]): { set: Set<string>; generated: Set<string> } {
  const set = new Set<string>();
  const generated = new Set<string>();
  for (const stack of stacks) {
    const resources = Template.fromStack(stack).toJSON().Resources as Record<
      string,
      { Type: string; Properties?: Props }
    >;
    for (const { Type: type, Properties: props = {} } of Object.values(resources)) {
      const kind = NAMES[type];
      const name = kind?.name(props);
      if (name === undefined) continue;
      const written = JSON.stringify(name).replaceAll('{"Ref":"AWS::Region"}', JSON.stringify(stack.region));
      const entry = `${kind!.accountWide ? 'account' : stack.region} ${type} ${written}`;
      const stackId = stack.stackName.replace(/[^A-Za-z0-9]/g, '');
      const onStackName = written.includes(stackId) || written.includes(stack.stackName);
      (onStackName ? generated : set).add(entry);
    }
  }
  return { set, generated };
}

const shared = (a: Set<string>, b: Set<string>) => [...a].filter((n) => b.has(n));

describe('names unique in an account', () => {
  // With the optional analytics export on, whose stream, Glue database and workgroup are named too.
  const withAnalytics = (config: RawConfig): RawConfig => ({
    ...config,
    analytics: { export: { enabled: true } },
  });
  const prod = withAnalytics(raw('example-academy'));
  // Same account and region. Their stack names are the same (`<slug>-<stack>`), so such a pair needs its own
  // account or region; the names the stacks set must still differ, or one stage would take over the other's.
  const dev = { ...prod, stage: 'dev' };
  // Deployed after the first, so it names its playback keys by region (load-config refuses the pair otherwise).
  const elsewhere = {
    ...prod,
    region: 'eu-west-1',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    video: { ...(prod.video as object), signingKeys: { trusted: [1], signWith: 1, regionalNames: true } },
  };
  const namesOf = (config: RawConfig) =>
    physicalNames(Object.values(platformFor(parseConfig(config, 'test.json')).platform));
  const inProd = namesOf(prod);

  it('finds the names to compare: dashboards, alarms, the budget, CloudFront’s, Cognito’s, SES’s, the analytics export’s', () => {
    const types = new Set([...inProd.set, ...inProd.generated].map((n) => n.split(' ')[1]));
    for (const type of [
      'AWS::CloudWatch::Dashboard',
      'AWS::CloudWatch::Alarm',
      'AWS::Budgets::Budget',
      'AWS::CloudFront::KeyGroup',
      'AWS::CloudFront::CachePolicy',
      'AWS::CloudFront::Function',
      'AWS::Cognito::UserPoolDomain',
      'AWS::SES::ConfigurationSet',
      'AWS::KinesisFirehose::DeliveryStream',
      'AWS::Glue::Database',
      'AWS::Athena::WorkGroup',
    ]) {
      expect(types).toContain(type);
    }
  });

  it('set by the stacks differ between two stages of one slug', () => {
    expect(shared(inProd.set, namesOf(dev).set)).toEqual([]);
  });

  it('differ between one slug’s platforms in two regions, CloudFront’s account-wide ones too', () => {
    const there = namesOf(elsewhere);
    expect(shared(inProd.set, there.set)).toEqual([]);
    expect(shared(inProd.generated, there.generated).filter((n) => n.startsWith('account '))).toEqual([]);
  });
});
