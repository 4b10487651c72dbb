import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { InvalidConfigError, loadConfig, parseConfig } from '#lib/config/load-config';
import { buildPlatform } from '#lib/platform';
import { EdgeStack } from '#lib/stacks/edge-stack';
import { FIXTURE_CONFIG_DIR } from '../fixture-configs';

type RawConfig = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const raw = (name: string): RawConfig =>
  JSON.parse(readFileSync(join(FIXTURE_CONFIG_DIR, `${name}.json`), 'utf8'));

/** The platform for a config, without bundling (these tests read templates, not code assets). */
function platformOf(config: ReturnType<typeof loadConfig>) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return { app, platform: buildPlatform(app, config) };
}

describe('edge stack', () => {
  // example-academy sets a domain, in ap-northeast-2.
  const { platform } = platformOf(loadConfig('example-academy', FIXTURE_CONFIG_DIR));
  const edge = platform.edge!;
  const t = Template.fromStack(edge);

  it('exists with video and a domain, bound to us-east-1 in the configured account', () => {
    expect(edge.stackName).toBe('example-academy-edge');
    expect(edge.region).toBe('us-east-1');
    expect(edge.account).toBe('123456789012');
    expect(platform.vod!.region).toBe('ap-northeast-2');
  });

  it('holds DNS-validated certificates for app.<domain> and video.<domain>, validated in the configured zone', () => {
    t.resourceCountIs('AWS::CertificateManager::Certificate', 2);
    for (const host of ['app.academy.example.com', 'video.academy.example.com']) {
      t.hasResourceProperties('AWS::CertificateManager::Certificate', {
        DomainName: host,
        ValidationMethod: 'DNS',
        DomainValidationOptions: [{ DomainName: host, HostedZoneId: 'Z0123456789ABCDEFGHIJ' }],
      });
    }
    expect(edge.playbackDomain).toMatchObject({
      hostName: 'video.academy.example.com',
      zone: { zoneName: 'academy.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ' },
    });
    expect(edge.appDomain).toMatchObject({
      hostName: 'app.academy.example.com',
      zone: { zoneName: 'academy.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ' },
    });
  });

  it.each([
    ['vod', 'playbackCertificate'],
    ['web', 'appCertificate'],
  ] as const)(
    'hands its certificate to the %s stack as a stack output, with no export-writer Lambda',
    (consumer, certificate) => {
      const stack = platform[consumer]!;
      const template = Template.fromStack(stack);
      const distribution = Object.values(template.findResources('AWS::CloudFront::Distribution'))[0]!;
      const arn = distribution.Properties.DistributionConfig.ViewerCertificate.AcmCertificateArn;
      expect(arn).toEqual({
        'Fn::GetStackOutput': {
          StackName: 'example-academy-edge',
          Region: 'us-east-1',
          OutputName: expect.any(String),
        },
      });
      expect(t.toJSON().Outputs[arn['Fn::GetStackOutput'].OutputName].Value).toEqual(
        edge.resolve(edge[certificate]!.certificateArn),
      );
      expect(stack.dependencies).toContain(edge);
      t.resourceCountIs('AWS::Lambda::Function', 0);
      template.resourceCountIs('Custom::CrossRegionExportReader', 0);
    },
  );

  it('passes cdk-nag AwsSolutions checks', () => {
    expect(new AwsSolutionsChecks().validateScope(edge).violations).toEqual([]);
  });

  it('is absent without a domain', () => {
    const { app, platform: without } = platformOf(loadConfig('default', FIXTURE_CONFIG_DIR));
    expect('edge' in without).toBe(false);
    expect(app.node.children.map((c) => c.node.id)).not.toContain('demo-edge');
  });

  it('holds only the app’s certificate without video', () => {
    const noVideo = raw('example-academy');
    noVideo.features.video = false;
    const { platform: without } = platformOf(parseConfig(noVideo));
    const template = Template.fromStack(without.edge!);
    template.resourceCountIs('AWS::CertificateManager::Certificate', 1);
    template.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'app.academy.example.com',
    });
    expect(without.edge!.playbackDomain).toBeUndefined();
    expect(without.web.dependencies).toContain(without.edge);
  });

  it('refuses a region other than us-east-1, where CloudFront reads certificates', () => {
    expect(
      () =>
        new EdgeStack(new App(), 'Edge', {
          env: { account: '123456789012', region: 'eu-west-1' },
          appHost: 'app.academy.example.com',
          playbackHost: 'video.academy.example.com',
          zone: { zoneName: 'academy.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ' },
        }),
    ).toThrow(/us-east-1/);
  });

  it('is why a config with a domain must name its account and region', () => {
    const agnostic = raw('example-academy');
    delete agnostic.account;
    delete agnostic.region;
    expect(() => parseConfig(agnostic, 'test.json')).toThrow(InvalidConfigError);
    expect(() => parseConfig(agnostic, 'test.json')).toThrow(/domain: needs account and region/);
  });
});
