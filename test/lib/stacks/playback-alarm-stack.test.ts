import { App, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from '#lib/config/load-config';
import { buildPlatform } from '#lib/platform';
import { FIXTURE_CONFIG_DIR } from '../fixture-configs';

/** The platform for a config, without bundling (these tests read templates, not code assets). */
function platformOf(config: ReturnType<typeof loadConfig>) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return { app, platform: buildPlatform(app, config) };
}

const alarmsOn5xxRate = (stack: Stack) =>
  Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')).filter((a) =>
    JSON.stringify(a).includes('5xxErrorRate'),
  );

describe('playback alarm stack', () => {
  // example-academy runs in ap-northeast-2, where no CloudFront metric ever arrives.
  const { platform } = platformOf(loadConfig('example-academy', FIXTURE_CONFIG_DIR));
  const stack = platform.playbackAlarm!;
  const t = Template.fromStack(stack);

  it('alarms in us-east-1 on the distribution’s 5xx rate, read from the vod stack across regions', () => {
    expect([stack.region, stack.account]).toEqual(['us-east-1', '123456789012']);
    const vod = Template.fromStack(platform.vod!);
    const [distributionId] = Object.keys(vod.findResources('AWS::CloudFront::Distribution'));
    t.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    const alarm = Object.values(t.findResources('AWS::CloudWatch::Alarm'))[0]!.Properties;
    expect(alarm).toMatchObject({
      Namespace: 'AWS/CloudFront',
      MetricName: '5xxErrorRate',
      Statistic: 'Average',
      Period: 300,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    const [byId, region] = alarm.Dimensions;
    expect(region).toEqual({ Name: 'Region', Value: 'Global' });
    const output = byId.Value['Fn::GetStackOutput'];
    expect(output).toEqual({
      StackName: 'example-academy-vod',
      Region: 'ap-northeast-2',
      OutputName: expect.any(String),
    });
    expect(vod.toJSON().Outputs[output.OutputName].Value).toEqual({ Ref: distributionId });
  });

  it('notifies a topic of its own region, encrypted, e-mailing the alarm address, on alarm and back to OK', () => {
    const [topic] = Object.keys(t.findResources('AWS::SNS::Topic'));
    const alarm = Object.values(t.findResources('AWS::CloudWatch::Alarm'))[0]!.Properties;
    expect([alarm.AlarmActions, alarm.OKActions]).toEqual([[{ Ref: topic }], [{ Ref: topic }]]);
    t.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
    });
    t.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@academy.example.com',
    });
  });

  it('stays clean under cdk-nag', () => {
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });

  it('is absent where the monitoring stack can alarm itself (us-east-1) or nothing can (no region)', () => {
    const base = loadConfig('example-academy', FIXTURE_CONFIG_DIR);
    const east = platformOf({
      ...base,
      region: 'us-east-1',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
    }).platform;
    expect(east.playbackAlarm).toBeUndefined();
    expect(alarmsOn5xxRate(east.monitoring)).toHaveLength(1);
    const agnostic = platformOf(loadConfig('default', FIXTURE_CONFIG_DIR)).platform;
    expect(agnostic.playbackAlarm).toBeUndefined();
    expect(alarmsOn5xxRate(agnostic.monitoring)).toEqual([]);
    // Nor does the monitoring stack of a platform in another region keep a 5xx alarm that never gets data.
    expect(alarmsOn5xxRate(platform.monitoring)).toEqual([]);
  });
});
