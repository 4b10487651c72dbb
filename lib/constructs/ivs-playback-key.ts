import { CustomResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { nagResource } from '../nag-resource';
import { LmsFunction } from './lms-function';

/** The tag the key pair is imported with; its value is the name prefix, and only so tagged pairs may be deleted. */
export const PLAYBACK_KEY_OWNER_TAG = 'lms:live-owner';
// EC key generation, a Secrets Manager write and an IVS import, once per deploy; IVS may throttle.
const TIMEOUT = Duration.seconds(30);
// How long CloudFormation waits for the function's answer, instead of an hour when it crashed without one:
// its timeout, and room for Lambda's own retries of an asynchronous run that failed (after 1 and 2 minutes).
const SERVICE_TIMEOUT = Duration.minutes(5);

export interface IvsPlaybackKeyProps {
  /** Prefix of IVS resource names: the key pair is `<namePrefix>-playback`, tagged with it. */
  readonly namePrefix: string;
  readonly logRetention: RetentionDays;
  /**
   * Raise to rotate: a new pair replaces the old one at the next deploy.
   * @default 1
   */
  readonly rotation?: number;
  /**
   * Retain the secret with the private half when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The key pair that signs playback tokens of private IVS channels, made at the first deploy by a custom
 * resource (lambda/live/create-playback-key): the private half only ever in the secret this construct
 * creates, the public half imported into IVS. Its function may write that secret and import, tag and delete
 * this platform's key pair, nothing else.
 */
export class IvsPlaybackKey extends Construct {
  /** Holds the private key (PKCS#8 PEM, EC P-384, the whole secret string) that signs playback tokens. */
  public readonly secret: Secret;
  /** ARN of the imported key pair in IVS. */
  public readonly keyPairArn: string;
  public readonly keyFunction: LmsFunction;

  constructor(scope: Construct, id: string, props: IvsPlaybackKeyProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.secret = new Secret(this, 'Secret', {
      description: 'Private key (PEM, EC P-384) that signs IVS playback tokens; written at deploy time',
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'An IVS playback key is rotated by importing a new public key into IVS beside the old one, which ' +
        'single-step Secrets Manager rotation cannot do; rotation is a deploy (config live.playbackKeyRotation).',
    });

    this.keyFunction = new LmsFunction(this, 'Function', {
      handler: 'live/create-playback-key',
      serviceName: 'live',
      description: 'Generates the IVS playback key pair at deploy time',
      logRetention: props.logRetention,
      timeout: TIMEOUT,
    });
    // Write only: the function never reads the key back (an update keeps the pair by its ARN alone).
    this.keyFunction.function.addToRolePolicy(
      new PolicyStatement({ actions: ['secretsmanager:PutSecretValue'], resources: [this.secret.secretArn] }),
    );
    // Key pair ids are IVS's, known only after the import, hence `playback-key/*`, narrowed by the owner tag:
    // the import must carry it (with this platform's prefix, and no other tag), and only pairs bearing it
    // may be deleted, so no other fork's or stage's key pair in the account can be touched.
    const keyPairs = stack.formatArn({ service: 'ivs', resource: 'playback-key', resourceName: '*' });
    const ownerTag = `aws:RequestTag/${PLAYBACK_KEY_OWNER_TAG}`;
    this.keyFunction.function.addToRolePolicy(
      new PolicyStatement({
        // ImportPlaybackKeyPair with tags is also authorized as TagResource (Service Authorization Reference).
        actions: ['ivs:ImportPlaybackKeyPair', 'ivs:TagResource'],
        resources: [keyPairs],
        conditions: {
          StringEquals: { [ownerTag]: props.namePrefix },
          'ForAllValues:StringEquals': { 'aws:TagKeys': [PLAYBACK_KEY_OWNER_TAG] },
        },
      }),
    );
    this.keyFunction.function.addToRolePolicy(
      new PolicyStatement({
        actions: ['ivs:DeletePlaybackKeyPair'],
        resources: [keyPairs],
        conditions: { StringEquals: { [`aws:ResourceTag/${PLAYBACK_KEY_OWNER_TAG}`]: props.namePrefix } },
      }),
    );
    Validations.of(this.keyFunction.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResource(this, keyPairs)}]`,
      reason:
        'IVS names a key pair when it is imported; the owner tag condition limits this to the platform’s own.',
    });

    const keyPair = new CustomResource(this, 'KeyPair', {
      serviceToken: this.keyFunction.function.functionArn,
      resourceType: 'Custom::IvsPlaybackKeyPair',
      serviceTimeout: SERVICE_TIMEOUT,
      properties: {
        SecretArn: this.secret.secretArn,
        KeyPairName: `${props.namePrefix}-playback`,
        Tags: { [PLAYBACK_KEY_OWNER_TAG]: props.namePrefix },
        Rotation: String(props.rotation ?? 1),
      },
    });
    this.keyPairArn = keyPair.getAttString('KeyPairArn');
  }
}
