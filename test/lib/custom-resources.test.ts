import { synthesizedTemplates } from './platform-fixture';

/*
 * CloudFormation waits an hour for a custom resource whose handler never answers (a crash before it could,
 * a timeout): an hour per attempt of a failed deploy, and as long again for its rollback. Every custom
 * resource the platform synthesizes, CDK's own included, sets ServiceTimeout to a bound that still leaves
 * its handler the time it may take.
 */

const isCustomResource = (type: string) =>
  type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';

/** The most time the handler may take before it answers, in seconds. */
function handlerSeconds(
  resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>,
  resource: { Type: string; Properties?: Record<string, unknown> },
): number {
  const props = resource.Properties!;
  // CDK's trigger provider answers once the function it invokes returns (or its invoke times out), after up
  // to a minute of retries while a new role's permissions propagate.
  if (resource.Type === 'Custom::Trigger') return Number(props.Timeout) / 1000 + 60;
  const token = props.ServiceToken as { 'Fn::GetAtt': [string, string] };
  const provider = resources[token['Fn::GetAtt'][0]]!;
  expect(provider.Type).toBe('AWS::Lambda::Function');
  return provider.Properties!.Timeout as number;
}

describe.each([
  [
    'default',
    [
      'Custom::CDKBucketDeployment',
      'Custom::CloudFrontSigningKey',
      'Custom::IvsPlaybackKeyPair',
      'Custom::LogRetention',
      'Custom::S3AutoDeleteObjects',
      'Custom::Trigger',
      'Custom::VpcRestrictDefaultSG',
    ],
  ],
  [
    'example-academy',
    [
      'Custom::CDKBucketDeployment',
      'Custom::CloudFrontSigningKey',
      'Custom::IvsPlaybackKeyPair',
      'Custom::LogRetention',
      // The web app's bucket, which is rebuilt on every deploy, even where stateful data is kept.
      'Custom::S3AutoDeleteObjects',
      'Custom::Trigger',
      'Custom::VpcRestrictDefaultSG',
    ],
  ],
])('custom resources with config %s', (configName, expectedTypes) => {
  const customResources = synthesizedTemplates(configName).flatMap(({ stackName, resources }) =>
    Object.entries(resources)
      .filter(([, r]) => isCustomResource(r.Type))
      .map(([logicalId, r]) => ({ id: `${stackName}/${logicalId}`, resource: r, resources })),
  );

  it('are the ones this test knows of', () => {
    expect([...new Set(customResources.map((c) => c.resource.Type))].sort()).toEqual(expectedTypes);
  });

  it('each bound CloudFormation’s wait to at most 20 minutes, longer than their handler may run', () => {
    for (const { id, resource, resources } of customResources) {
      // Whole seconds, written as a string as CDK writes its CustomResource's serviceTimeout.
      const timeout = resource.Properties!.ServiceTimeout;
      expect({ id, timeout }).toEqual({ id, timeout: expect.stringMatching(/^[1-9]\d*$/) });
      const seconds = Number(timeout);
      expect({ id, atMost20Minutes: seconds <= 20 * 60 }).toEqual({ id, atMost20Minutes: true });
      const handler = handlerSeconds(resources, resource);
      expect({ id, outlastsHandler: seconds > handler }).toEqual({ id, outlastsHandler: true });
    }
  });
});
