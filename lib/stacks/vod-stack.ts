import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  KeyGroup,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IEventBus, Match, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyDocument, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import { CfnQueue } from 'aws-cdk-lib/aws-mediaconvert';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AaaaRecord, ARecord, HostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { CloudFrontTarget } from 'aws-cdk-lib/aws-route53-targets';
import { Bucket, type CfnBucket, HttpMethods, StorageClass } from 'aws-cdk-lib/aws-s3';
import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ENV, EVENTS, VOD } from '#contracts/resources';
import type { InstitutionConfig } from '../config/institution-config';
import { LmsFunction } from '../constructs/lms-function';
import { PlaybackSigningKeys } from '../constructs/playback-signing-keys';
import { nameOriginAccessControl } from '../origin-access-control-name';
import { servicePrincipalFor } from '../service-principal';
import { accessLogBucket, privateBucket } from '../private-bucket';

// S3 access logs are for incident forensics (who uploaded what, when); after 90 days they only cost money.
// Long enough to fix a broken handler and redrive; SQS keeps a message at most 14 days.
const DEAD_LETTER_RETENTION = Duration.days(14);
// EventBridge retries a failed delivery with backoff; past a day an upload is better redriven by hand.
const TARGET_MAX_EVENT_AGE = Duration.hours(24);
const TARGET_RETRY_ATTEMPTS = 8;
// Lambda's own retries of an asynchronous invocation whose handler threw (0 to 2).
const HANDLER_RETRY_ATTEMPTS = 2;
// Probe, a DynamoDB transaction, CreateJob and the idempotency record take a few seconds at most; the rest
// is cold start, SDK retries and retried transaction conflicts.
const START_TRANSCODE_TIMEOUT = Duration.seconds(30);
// Browsers may cache a CORS answer this long; the allowed origins change only with a deploy.
const CORS_MAX_AGE = Duration.hours(1);
// Two years, the HSTS preload list's expectation.
const HSTS_MAX_AGE = Duration.days(730);

export interface VodStackProps extends StackProps {
  /** The platform bus: `video.ready` and `video.failed` are published there. */
  readonly eventBus: IEventBus;
  /** Powertools idempotency records, so a redelivered upload event starts no second job. */
  readonly idempotencyTable: ITable;
  /** The access projection's table, where start-transcode counts each institution's monthly minutes. */
  readonly accessTable: ITable;
  /** Browser origins of the web apps: they upload parts directly to S3 and play from CloudFront. */
  readonly allowedOrigins: readonly string[];
  readonly logRetention: RetentionDays;
  /** Retain the buckets, the signing key and the log groups when the stack is deleted. */
  readonly keepStatefulData: boolean;
  /** Upload, transcoding and playback limits from the institution config. */
  readonly video: InstitutionConfig['video'];
  /**
   * Serve playback at this host instead of the distribution's cloudfront.net name. Signed cookies reach the
   * distribution only on a host under the domain the API sets them for, so browsers need this.
   * @default - the distribution's `*.cloudfront.net` name
   */
  readonly playbackDomain?: PlaybackDomain;
}

/** A custom host for the playback distribution. */
export interface PlaybackDomain {
  /** e.g. `video.academy.example.com`. */
  readonly hostName: string;
  /** The Route 53 hosted zone the host's alias records go in. */
  readonly zone: { readonly zoneName: string; readonly hostedZoneId: string };
  /** ACM certificate for `hostName`; CloudFront reads certificates only from us-east-1. */
  readonly certificate: ICertificate;
}

/**
 * Video on demand: browsers upload to a private bucket with presigned multipart URLs; S3's Object Created
 * event starts a MediaConvert job that writes HLS renditions to a second private bucket; the job's state
 * change becomes `video.ready` or `video.failed` on the platform bus; learners play through CloudFront,
 * which alone may read the renditions (origin access control) and serves only requests carrying cookies
 * signed with the key pair this stack generates at deploy.
 */
export class VodStack extends Stack {
  /** Where browsers upload: `videos/<institutionId>/<contentId>/<file>` and `materials/...`. */
  public readonly uploadBucket: Bucket;
  /** Renditions under `hls/<contentId>/`; readable only through the distribution. */
  public readonly outputBucket: Bucket;
  /** S3 server access logs of both buckets. */
  public readonly accessLogBucket: Bucket;
  /** The role MediaConvert assumes: reads `videos/*` of the upload bucket, writes `hls/*` of the output. */
  public readonly mediaConvertRole: Role;
  /**
   * The pipeline's own on-demand queue: every job names it, so its metrics (and the monitoring stack's
   * job-error alarm) are this platform's alone, not the account's shared Default queue's.
   */
  public readonly transcodeQueue: CfnQueue;
  /** ARN of the MediaConvert queue the pipeline's jobs run in. */
  public readonly mediaConvertQueueArn: string;
  public readonly startTranscode: LmsFunction;
  public readonly publishJobState: LmsFunction;
  /** Upload events EventBridge could not deliver, and those the handler failed on after its retries. */
  public readonly transcodeDeadLetterQueue: Queue;
  /** The same for MediaConvert job state changes. */
  public readonly jobStateDeadLetterQueue: Queue;
  public readonly distribution: Distribution;
  /**
   * `https://<playback host>`, or `https://<distribution>.cloudfront.net` without one: the origin
   * playback URLs and cookies are for.
   */
  public readonly playbackUrl: string;
  /** Every trusted generation of the key pair that signs playback cookies (config `video.signingKeys`). */
  public readonly signingKeys: PlaybackSigningKeys;
  /** Holds the private key (PKCS#8 PEM, the whole secret string) the playback route signs cookies with. */
  public readonly signingKeySecret: Secret;
  /** Its public key's id: the `CloudFront-Key-Pair-Id` of every signed cookie. */
  public readonly signingKeyPairId: string;
  public readonly keyGroup: KeyGroup;
  /** The config's limits, for the upload and playback routes that enforce them. */
  public readonly limits: InstitutionConfig['video'];
  /** The pipeline's functions, for the monitoring stack's Lambda alarms. */
  public readonly functionsForMonitoring: LmsFunction[];

  constructor(scope: Construct, id: string, props: VodStackProps) {
    super(scope, id, props);
    const removalPolicy = props.keepStatefulData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.limits = props.video;

    // --- Buckets.
    this.accessLogBucket = accessLogBucket(this, removalPolicy);

    this.uploadBucket = new Bucket(this, 'Uploads', {
      ...privateBucket(removalPolicy),
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'uploads/',
      lifecycleRules: [
        {
          id: 'abort-incomplete-multipart-uploads',
          abortIncompleteMultipartUploadAfter: Duration.days(props.video.abortIncompleteUploadDays),
        },
        {
          id: 'archive-source-videos',
          prefix: VOD.uploadPrefixes.video,
          transitions: [
            {
              storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: Duration.days(props.video.archiveSourcesAfterDays),
            },
          ],
        },
      ],
      // Browsers PUT the parts to presigned URLs and must read each part's ETag to complete the upload.
      cors: [
        {
          allowedOrigins: [...props.allowedOrigins],
          allowedMethods: [HttpMethods.PUT, HttpMethods.GET, HttpMethods.HEAD],
          // The presigned signature is the access control; which headers a browser sends varies with the
          // SDK's checksum settings, so a narrower list would break uploads without protecting anything.
          allowedHeaders: ['*'],
          exposedHeaders: ['ETag'],
          maxAge: CORS_MAX_AGE.toSeconds(),
        },
      ],
    });
    // Set on the resource itself: the L2 `eventBridgeEnabled` goes through CDK's bucket-notifications
    // custom resource (a Lambda with a wildcard policy), although CloudFormation takes the setting directly.
    (this.uploadBucket.node.defaultChild as CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };

    this.outputBucket = new Bucket(this, 'Renditions', {
      ...privateBucket(removalPolicy),
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'renditions/',
    });

    // --- MediaConvert: the platform's own queue, and the role its jobs run with.
    this.transcodeQueue = new CfnQueue(this, 'TranscodeQueue', {
      // CloudFormation creates on-demand queues only; reserved capacity is bought in the console.
      pricingPlan: 'ON_DEMAND',
      status: 'ACTIVE',
      description: 'Transcoding jobs of this platform’s video pipeline',
    });
    this.mediaConvertQueueArn = this.transcodeQueue.attrArn;
    // Reads the uploaded videos, writes renditions, nothing else; assumed only for jobs of this queue.
    this.mediaConvertRole = new Role(this, 'MediaConvertRole', {
      assumedBy: servicePrincipalFor(this, 'mediaconvert.amazonaws.com', this.mediaConvertQueueArn),
      description: 'Assumed by MediaConvert for the video pipeline: reads videos/, writes hls/',
      inlinePolicies: {
        transcode: new PolicyDocument({
          statements: [
            new PolicyStatement({
              actions: ['s3:GetObject'],
              resources: [this.uploadBucket.arnForObjects(`${VOD.uploadPrefixes.video}*`)],
            }),
            new PolicyStatement({
              actions: ['s3:PutObject'],
              resources: [this.outputBucket.arnForObjects(`${VOD.outputPrefix}*`)],
            }),
          ],
        }),
      },
    });
    Validations.of(this.mediaConvertRole).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::<${this.logicalIdOf(this.uploadBucket)}.Arn>/${VOD.uploadPrefixes.video}*]`,
        reason: 'Every upload has its own key; the videos/ prefix is the narrowest scope that covers them.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${this.logicalIdOf(this.outputBucket)}.Arn>/${VOD.outputPrefix}*]`,
        reason: 'MediaConvert names playlists and segments itself; the hls/ prefix is the narrowest scope.',
      },
    );
    // --- Upload -> MediaConvert job.
    this.transcodeDeadLetterQueue = this.deadLetterQueue(
      'TranscodeDeadLetters',
      'upload events that started no transcoding job',
    );
    this.startTranscode = new LmsFunction(this, 'StartTranscode', {
      handler: 'vod/start-transcode',
      serviceName: 'vod',
      description: 'Starts a MediaConvert job for an uploaded video',
      logRetention: props.logRetention,
      logRemovalPolicy: removalPolicy,
      timeout: START_TRANSCODE_TIMEOUT,
      environment: {
        [VOD.env.uploadBucket]: this.uploadBucket.bucketName,
        [VOD.env.outputBucket]: this.outputBucket.bucketName,
        [VOD.env.mediaConvertRoleArn]: this.mediaConvertRole.roleArn,
        [VOD.env.mediaConvertQueueArn]: this.mediaConvertQueueArn,
        [VOD.env.monthlyTranscodeMinutes]: String(props.video.monthlyTranscodeMinutes),
        // A file that is no video, or over the budget, is answered with video.failed instead of a job.
        [EVENTS.busNameEnv]: props.eventBus.eventBusName,
      },
    });
    this.startTranscode.bindTable(props.idempotencyTable, ENV.idempotencyTable, 'readWrite');
    this.startTranscode.function.addToRolePolicy(
      new PolicyStatement({
        // CreateJob is authorized on the queue the job goes to; the job settings name no preset or template.
        actions: ['mediaconvert:CreateJob'],
        resources: [this.mediaConvertQueueArn],
      }),
    );
    this.startTranscode.function.addToRolePolicy(
      new PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.mediaConvertRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'mediaconvert.amazonaws.com' } },
      }),
    );
    // Probe, before any job is paid for. It has no resource type to scope it by, and its request names no
    // role: MediaConvert reads the probed object with the caller's credentials, hence GetObject on videos/.
    this.startTranscode.function.addToRolePolicy(
      new PolicyStatement({ actions: ['mediaconvert:Probe'], resources: ['*'] }),
    );
    this.startTranscode.function.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [this.uploadBucket.arnForObjects(`${VOD.uploadPrefixes.video}*`)],
      }),
    );
    Validations.of(this.startTranscode.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'mediaconvert:Probe has no resource-level permissions (Service Authorization Reference).',
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${this.logicalIdOf(this.uploadBucket)}.Arn>/${VOD.uploadPrefixes.video}*]`,
        reason: 'Probe reads each uploaded video with this role; the videos/ prefix is the narrowest scope.',
      },
    );
    // The budget's counters and per-object markers (lambda/vod/transcode-budget.ts): one transaction of a
    // Put and an Update, which IAM authorizes as PutItem and UpdateItem. No reads, deletes or scans of the
    // access projection.
    this.startTranscode.function.addEnvironment(ENV.accessTable, props.accessTable.tableName);
    props.accessTable.grant(this.startTranscode.function, 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    props.eventBus.grantPutEventsTo(this.startTranscode.function);
    this.routeFailuresTo(this.startTranscode, this.transcodeDeadLetterQueue);
    new Rule(this, 'VideoUploaded', {
      description: 'A video finished uploading: start transcoding it',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [this.uploadBucket.bucketName] },
          // Materials are stored as uploaded; only videos are transcoded.
          object: { key: Match.prefix(VOD.uploadPrefixes.video) },
        },
      },
      targets: [this.lambdaTarget(this.startTranscode, this.transcodeDeadLetterQueue)],
    });

    // --- MediaConvert job state -> platform event.
    this.jobStateDeadLetterQueue = this.deadLetterQueue(
      'JobStateDeadLetters',
      'MediaConvert job state changes that were never published to the platform bus',
    );
    this.publishJobState = new LmsFunction(this, 'PublishJobState', {
      handler: 'vod/publish-job-state',
      serviceName: 'vod',
      description: 'Publishes video.ready or video.failed when a MediaConvert job ends',
      logRetention: props.logRetention,
      logRemovalPolicy: removalPolicy,
      environment: { [EVENTS.busNameEnv]: props.eventBus.eventBusName },
    });
    props.eventBus.grantPutEventsTo(this.publishJobState.function);
    // A job in ERROR gives back the minutes start-transcode counted (MediaConvert bills only completed jobs):
    // it reads the upload's marker, then stamps it and lowers the month's counter in one transaction.
    this.publishJobState.function.addEnvironment(ENV.accessTable, props.accessTable.tableName);
    props.accessTable.grant(this.publishJobState.function, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    this.routeFailuresTo(this.publishJobState, this.jobStateDeadLetterQueue);
    new Rule(this, 'TranscodeFinished', {
      description: 'A MediaConvert job of this platform completed or failed',
      eventPattern: {
        source: ['aws.mediaconvert'],
        detailType: ['MediaConvert Job State Change'],
        detail: {
          status: ['COMPLETE', 'ERROR'],
          // MediaConvert events carry no bucket on ERROR, so the start-transcode handler tags each job in
          // its user metadata: the content it is for, its source key under videos/, and the upload bucket,
          // which tells this platform's jobs from those of any other platform in the same account.
          userMetadata: {
            contentId: Match.exists(),
            sourceKey: Match.prefix(VOD.uploadPrefixes.video),
            uploadBucket: [this.uploadBucket.bucketName],
          },
        },
      },
      targets: [this.lambdaTarget(this.publishJobState, this.jobStateDeadLetterQueue)],
    });
    this.functionsForMonitoring = [this.startTranscode, this.publishJobState];

    // --- Playback signing keys: generated at deploy, the private halves only ever in Secrets Manager.
    this.signingKeys = new PlaybackSigningKeys(this, 'SigningKeys', {
      ...props.video.signingKeys,
      logRetention: props.logRetention,
      removalPolicy,
    });
    this.signingKeySecret = this.signingKeys.signingSecret;
    this.signingKeyPairId = this.signingKeys.signingKeyPairId;
    this.keyGroup = this.signingKeys.keyGroup;
    // Every trusted generation stays exported, not only the signer's that the api stack imports: when the
    // signer moves on, this stack deploys first, and CloudFormation refuses to drop an export that the api
    // stack still imports until its own update. A generation's exports go when it is no longer trusted, a
    // deploy after the api stack stopped importing them.
    for (const { secret, publicKey } of this.signingKeys.generations.values()) {
      this.exportValue(secret.secretArn);
      this.exportValue(publicKey.publicKeyId);
    }

    // --- Playback through CloudFront.
    const domain = props.playbackDomain;
    this.distribution = new Distribution(this, 'Playback', {
      comment: 'Video playback (HLS renditions, signed cookies)',
      httpVersion: HttpVersion.HTTP2_AND_3,
      ...(domain
        ? {
            domainNames: [domain.hostName],
            certificate: domain.certificate,
            minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.outputBucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        // No OPTIONS: a CORS preflight never carries cookies, so a signed-cookie behavior refuses it anyway.
        // Players fetch playlists and segments with plain GETs, which need no preflight.
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        // Cookies and query strings stay out of the cache key: CloudFront checks the signature at the edge,
        // and every learner shares the cached segments.
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.playbackHeaders(props.allowedOrigins),
        trustedKeyGroups: [this.keyGroup],
      },
    });
    nameOriginAccessControl(this.distribution, `${this.stackName}-${this.region}-playback`);
    this.playbackUrl = `https://${domain?.hostName ?? this.distribution.distributionDomainName}`;
    if (domain) this.playbackAliases(domain);
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: 'Learners may train from anywhere; access is granted per learner by signed cookies instead.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'CloudFront refuses unsigned requests at the edge, before the private origin, and Shield Standard ' +
          'covers floods; a web ACL for CloudFront must live in us-east-1, i.e. in a stack of its own.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason:
          'A log line per HLS segment request (one every few seconds per viewer) would cost more than it ' +
          'tells: who may watch is decided and logged where cookies are signed, and 5xx is on the dashboard.',
      },
    );
    if (!domain) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason:
          'The distribution uses its cloudfront.net name, whose default certificate fixes the TLS policy; ' +
          'a TLSv1.2_2021 minimum needs a custom domain (config `domain`) with a certificate in us-east-1.',
      });
    }

    new CfnOutput(this, 'PlaybackUrl', { value: this.playbackUrl });
    new CfnOutput(this, 'UploadBucketName', { value: this.uploadBucket.bucketName });
  }

  /** IPv4 and IPv6 aliases of the playback host to the distribution (CloudFront answers on both). */
  private playbackAliases(domain: PlaybackDomain): void {
    const zone = HostedZone.fromHostedZoneAttributes(this, 'Zone', domain.zone);
    const target = RecordTarget.fromAlias(new CloudFrontTarget(this.distribution));
    new ARecord(this, 'PlaybackAlias', { zone, recordName: domain.hostName, target });
    new AaaaRecord(this, 'PlaybackAliasIpv6', { zone, recordName: domain.hostName, target });
  }

  /**
   * CORS for the web apps, with credentials since the signed cookies must travel with each request, and the
   * usual security headers.
   */
  private playbackHeaders(allowedOrigins: readonly string[]): ResponseHeadersPolicy {
    return new ResponseHeadersPolicy(this, 'PlaybackHeaders', {
      // Account-wide, like every CloudFront policy: the region tells apart one slug's platforms in two regions.
      responseHeadersPolicyName: `${this.stackName}-${this.region}-playback-headers`,
      comment: 'CORS with credentials for the web apps, and security headers',
      corsBehavior: {
        accessControlAllowOrigins: [...allowedOrigins],
        accessControlAllowCredentials: true,
        accessControlAllowMethods: ['GET', 'HEAD'],
        accessControlAllowHeaders: ['Range'],
        accessControlMaxAge: CORS_MAX_AGE,
        originOverride: true,
      },
      securityHeadersBehavior: {
        strictTransportSecurity: {
          accessControlMaxAge: HSTS_MAX_AGE,
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: {
          referrerPolicy: HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
          override: true,
        },
      },
    });
  }

  private deadLetterQueue(id: string, what: string): Queue {
    const queue = new Queue(this, id, {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This is a dead-letter queue itself (${what}); an alarm watches it.`,
    });
    return queue;
  }

  /** EventBridge delivers asynchronously; what it cannot deliver, with its retries, lands in `dlq`. */
  private lambdaTarget(fn: LmsFunction, dlq: Queue): LambdaFunction {
    return new LambdaFunction(fn.function, {
      deadLetterQueue: dlq,
      retryAttempts: TARGET_RETRY_ATTEMPTS,
      maxEventAge: TARGET_MAX_EVENT_AGE,
    });
  }

  /**
   * The target's dead-letter queue catches only failed deliveries; an event the handler throws on (after
   * Lambda's own retries) goes to the same queue, so one queue holds every event that had no effect.
   */
  private routeFailuresTo(fn: LmsFunction, dlq: Queue): void {
    fn.function.configureAsyncInvoke({
      retryAttempts: HANDLER_RETRY_ATTEMPTS,
      onFailure: new SqsDestination(dlq),
    });
  }

  /** A resource's logical id as cdk-nag writes it in a finding, e.g. `<Uploads1234ABCD.Arn>`. */
  private logicalIdOf(bucket: Bucket): string {
    return this.resolve(this.getLogicalId(bucket.node.defaultChild as CfnBucket)) as string;
  }
}
