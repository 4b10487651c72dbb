import { CustomResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { KeyGroup, PublicKey } from 'aws-cdk-lib/aws-cloudfront';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { LmsFunction } from './lms-function';

// RSA key generation and two Secrets Manager calls, once per deploy.
const FUNCTION_TIMEOUT = Duration.seconds(30);
// How long CloudFormation waits for the key function's answer, instead of an hour when it crashed without
// one: its timeout, and room for Lambda's own retries of an asynchronous run that failed (after 1 and 2 min).
const SERVICE_TIMEOUT = Duration.minutes(5);

export interface PlaybackSigningKeysProps {
  /**
   * Generations of the key pair whose public keys the distribution trusts: one, or two while the signer
   * moves from one to the next. A generation keeps its key pair for as long as it is listed.
   */
  readonly trusted: readonly number[];
  /** The generation the playback route signs cookies with; one of `trusted`. */
  readonly signWith: number;
  /**
   * Name each public key with the stack, its region and the generation: CloudFront keeps public key names
   * account-wide, and CDK's own, from the construct path, is the same in every region. A key cannot be renamed
   * (CloudFront changes only a key's comment, and the vod stack exports its id to the api stack, which
   * CloudFormation will not let go while imported), so a deployed platform keeps it off.
   * @default false
   */
  readonly regionalNames?: boolean;
  readonly logRetention: RetentionDays;
  /**
   * What happens to a generation's secret when it leaves `trusted` or the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** One generation's key pair: the private half in its secret, the public half in CloudFront. */
export interface SigningKeyGeneration {
  /** Holds the private key (PKCS#8 PEM, the whole secret string). */
  readonly secret: Secret;
  readonly publicKey: PublicKey;
}

/**
 * The RSA key pairs that sign playback cookies, one per generation, each made at deploy by a custom resource
 * (lambda/vod/create-signing-key): the private half only ever in that generation's secret, the public half in
 * the key group the distribution trusts. Rotation is the config's three deploys: trust the next generation
 * too, sign with it, then stop trusting the old one; cookies the old key signed stay valid until the last.
 */
export class PlaybackSigningKeys extends Construct {
  /** The keys whose signed cookies the distribution accepts. */
  public readonly keyGroup: KeyGroup;
  public readonly generations: ReadonlyMap<number, SigningKeyGeneration>;
  /** The secret of the generation the playback route signs with. */
  public readonly signingSecret: Secret;
  /** That generation's public key id: the `CloudFront-Key-Pair-Id` of every signed cookie. */
  public readonly signingKeyPairId: string;
  public readonly keyFunction: LmsFunction;

  constructor(scope: Construct, id: string, props: PlaybackSigningKeysProps) {
    super(scope, id);
    if (!props.trusted.includes(props.signWith)) {
      throw new Error(`signWith (${props.signWith}) must be one of the trusted generations`);
    }

    this.keyFunction = new LmsFunction(this, 'Function', {
      handler: 'vod/create-signing-key',
      serviceName: 'vod',
      description: 'Generates a playback signing key pair at deploy time',
      logRetention: props.logRetention,
      timeout: FUNCTION_TIMEOUT,
    });
    const stack = Stack.of(this);
    const generations = new Map<number, SigningKeyGeneration>();
    // Ids carry the generation only, so adding or removing another generation leaves this one's resources
    // (and the key pair in its secret) untouched.
    for (const generation of props.trusted) {
      const secret = new Secret(this, `SigningKeySecret${generation}`, {
        description: `Private key (PEM) of generation ${generation} of the playback cookie signing key; written at deploy time`,
        removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'A CloudFront signing key is rotated by trusting the next generation before signing with it ' +
          '(config video.signingKeys), which single-step Secrets Manager rotation cannot do.',
      });
      secret.grantRead(this.keyFunction.function);
      secret.grantWrite(this.keyFunction.function);
      const keyPair = new CustomResource(this, `SigningKey${generation}`, {
        serviceToken: this.keyFunction.function.functionArn,
        resourceType: 'Custom::CloudFrontSigningKey',
        serviceTimeout: SERVICE_TIMEOUT,
        properties: { SecretArn: secret.secretArn },
      });
      const keyProps = {
        encodedKey: keyPair.getAttString('PublicKeyPem'),
        comment: `Verifies playback cookies signed with generation ${generation}`,
      };
      // Its own id when named: CloudFormation would otherwise try to rename the deployed key in place.
      const publicKey = props.regionalNames
        ? new PublicKey(this, `RegionalPublicKey${generation}`, {
            ...keyProps,
            publicKeyName: `${stack.stackName}-${stack.region}-playback-${generation}`,
          })
        : new PublicKey(this, `PublicKey${generation}`, keyProps);
      generations.set(generation, { secret, publicKey });
    }
    this.generations = generations;
    this.keyGroup = new KeyGroup(this, 'KeyGroup', {
      // Key groups' names are account-wide: CDK's own, from the construct path, is the same in every region.
      keyGroupName: `${stack.stackName}-${stack.region}-playback`,
      items: [...generations.values()].map((g) => g.publicKey),
      comment: 'Keys whose signed cookies the video distribution accepts',
    });
    const signer = generations.get(props.signWith)!;
    this.signingSecret = signer.secret;
    this.signingKeyPairId = signer.publicKey.publicKeyId;
  }
}
