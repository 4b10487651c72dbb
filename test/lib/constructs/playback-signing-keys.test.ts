import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { PlaybackSigningKeys } from '#lib/constructs/playback-signing-keys';

/** The construct alone, in a bare stack, without bundling. */
function keysIn(trusted: number[], signWith: number, regionalNames?: boolean) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Keys', { env: { account: '123456789012', region: 'eu-west-1' } });
  const keys = new PlaybackSigningKeys(stack, 'SigningKeys', {
    trusted,
    signWith,
    ...(regionalNames === undefined ? {} : { regionalNames }),
    logRetention: RetentionDays.ONE_WEEK,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  return { stack, keys, t: Template.fromStack(stack) };
}

describe('PlaybackSigningKeys', () => {
  it('makes a key pair per trusted generation, with one function, and trusts them all', () => {
    const { stack, keys, t } = keysIn([3, 4], 4);
    t.resourceCountIs('AWS::Lambda::Function', 1);
    t.resourceCountIs('Custom::CloudFrontSigningKey', 2);
    t.resourceCountIs('AWS::SecretsManager::Secret', 2);
    const publicKeys = [3, 4].map((g) => ({
      Ref: stack.resolve(keys.generations.get(g)!.publicKey.publicKeyId).Ref,
    }));
    t.hasResourceProperties('AWS::CloudFront::KeyGroup', { KeyGroupConfig: { Items: publicKeys } });
    expect(stack.resolve(keys.signingKeyPairId)).toEqual(publicKeys[1]);
    expect(stack.resolve(keys.signingSecret.secretArn)).toEqual(
      stack.resolve(keys.generations.get(4)!.secret.secretArn),
    );
  });

  it('names each key by stack, region and generation when asked, under an id of its own', () => {
    const names = (t: Template) =>
      Object.entries(t.findResources('AWS::CloudFront::PublicKey')).map(([id, r]) => [
        id.replace(/[0-9A-F]{8}$/, ''),
        r.Properties.PublicKeyConfig.Name as string,
      ]);
    expect(names(keysIn([1, 2], 1, true).t)).toEqual([
      ['SigningKeysRegionalPublicKey1', 'Keys-eu-west-1-playback-1'],
      ['SigningKeysRegionalPublicKey2', 'Keys-eu-west-1-playback-2'],
    ]);
    // Off, a deployed platform's keys keep their ids and CDK's names: CloudFront cannot rename a key.
    const [[id, name]] = names(keysIn([1], 1).t) as [[string, string]];
    expect(id).toBe('SigningKeysPublicKey1');
    expect(name).not.toContain('eu-west-1');
  });

  it('refuses a signer the key group would not trust', () => {
    expect(() => keysIn([1], 2)).toThrow('signWith (2) must be one of the trusted generations');
  });
});
