import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { type IEventBus, Match, Schedule } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { LIVE } from '#contracts/live';
import { ENV, EVENTS, VOD } from '#contracts/resources';
import { EventHandler, type EventRetryPolicy } from '../constructs/event-handler';
import { IvsPlaybackKey } from '../constructs/ivs-playback-key';
import { LectureRecordings } from '../constructs/lecture-recordings';
import { LIVE_METRICS } from '../constructs/live-monitoring';
import { LiveTable } from '../constructs/live-table';
import type { LmsFunction } from '../constructs/lms-function';
import { nagResource } from '../nag-resource';

// The sweep reconciles lectures against IVS, at most about 5 calls a second; a minute's run must end before
// the next one starts, so two sweeps never compete for IVS's rate limit.
const SWEEP_RATE = Duration.minutes(1);
const SWEEP_TIMEOUT = Duration.seconds(50);
// A missed sweep is made up by the next one a minute later: a short retry, and no rerun of one that threw
// (that would run beside the next); a sweep that fails anyway is dead-lettered, and its alarm says so.
const SWEEP_RETRIES: EventRetryPolicy = {
  targetRetryAttempts: 2,
  maxEventAge: Duration.seconds(60),
  handlerRetryAttempts: 0,
};
// Channels are given back hourly (lambda/live/release-channels.ts); listing thousands takes seconds at IVS's
// pace, and a missed hour is made up by the next.
const RELEASE_RATE = Duration.hours(1);
const RELEASE_TIMEOUT = Duration.minutes(5);
const RELEASE_RETRIES: EventRetryPolicy = {
  targetRetryAttempts: 2,
  maxEventAge: Duration.minutes(30),
  handlerRetryAttempts: 0,
};

export interface LiveStackProps extends StackProps {
  /** The platform bus: the live handlers publish `live.ended` and `lecture.started` there. */
  readonly eventBus: IEventBus;
  /**
   * Prefix of the names of IVS resources (channels, rooms, the key pair, the recording configuration), so
   * one account's forks and stages tell theirs apart, e.g. `lms-academy-prod`.
   */
  readonly namePrefix: string;
  readonly logRetention: RetentionDays;
  /** Retain and protect the table, the recordings and the playback key's secret when the stack is deleted. */
  readonly keepStatefulData: boolean;
  /**
   * Record lectures to S3, keeping raw recordings this many days.
   * @default - no recording: no bucket and no recording configuration
   */
  readonly recording?: {
    readonly retentionDays: number;
    /**
     * The video pipeline's playback bucket: an ended recording is copied there and becomes a video of the
     * course (`live.recorded`).
     * @default - recordings stay in the recordings bucket only (the video feature is off)
     */
    readonly playbackBucket?: IBucket;
  };
  /**
   * Raise to rotate the playback key pair at the next deploy.
   * @default 1
   */
  readonly playbackKeyRotation?: number;
}

/**
 * Live lectures: the live table, the recordings (optional), the key pair that signs private channels'
 * playback tokens, and the functions that follow IVS (stream and recording state changes from the default
 * bus, and a sweep that reconciles with IVS every minute, since IVS's events may be lost, late or out of
 * order). The lecture routes live in the api stack, which reads this stack's table and key; this stack
 * never depends on the api stack.
 */
export class LiveStack extends Stack {
  public readonly table: TableV2;
  public readonly playbackKey: IvsPlaybackKey;
  /** The private half of the playback key pair, for the route that signs tokens. */
  public readonly playbackKeySecret: Secret;
  /** Where and how lectures are recorded; absent without recording. */
  public readonly recordings?: LectureRecordings;
  /** What new channels record with; absent without recording. */
  public readonly recordingConfigurationArn?: string;
  public readonly namePrefix: string;
  public readonly onStreamState: EventHandler;
  public readonly onRecordingState?: EventHandler;
  public readonly sweep: EventHandler;
  /** Gives IVS back the channels and rooms no lecture needs (ended a day ago, cancelled, orphaned). */
  public readonly release: EventHandler;
  /** The stack's functions, for the monitoring stack's Lambda alarms. */
  public readonly functionsForMonitoring: LmsFunction[];
  /** Every dead-letter queue, with what it holds, for the monitoring stack's alarms. */
  public readonly deadLetterQueues: { readonly name: string; readonly queue: Queue }[];

  constructor(scope: Construct, id: string, props: LiveStackProps) {
    super(scope, id, props);
    const removalPolicy = props.keepStatefulData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.namePrefix = props.namePrefix;

    this.table = new LiveTable(this, 'Lectures', { keepStatefulData: props.keepStatefulData }).table;

    if (props.recording) {
      this.recordings = new LectureRecordings(this, 'Recordings', {
        namePrefix: props.namePrefix,
        retentionDays: props.recording.retentionDays,
        removalPolicy,
      });
      this.recordingConfigurationArn = this.recordings.recordingConfigurationArn;
    }

    this.playbackKey = new IvsPlaybackKey(this, 'PlaybackKey', {
      namePrefix: props.namePrefix,
      logRetention: props.logRetention,
      removalPolicy,
      ...(props.playbackKeyRotation ? { rotation: props.playbackKeyRotation } : {}),
    });
    this.playbackKeySecret = this.playbackKey.secret;

    const handlerDefaults = {
      serviceName: 'live',
      logRetention: props.logRetention,
      logRemovalPolicy: removalPolicy,
      environment: {
        [LIVE.env.namePrefix]: props.namePrefix,
        // Where Powertools Metrics puts the live metrics the monitoring stack alarms on.
        POWERTOOLS_METRICS_NAMESPACE: LIVE_METRICS.namespace,
      },
    };
    this.onStreamState = new EventHandler(this, 'OnStreamState', {
      ...handlerDefaults,
      handler: 'live/on-stream-state',
      description:
        'A lecture’s IVS stream started or ended: its state, lecture.started at its first start, live.ended at the end',
      deadLetters: 'stream state changes no lecture learned of',
      eventPattern: {
        source: ['aws.ivs'],
        detailType: ['IVS Stream State Change'],
        // This platform's channels by name. Without the separator: a sibling platform whose prefix extends
        // this one only reaches a handler that finds no lecture for its channel, whereas a channel named
        // without it would silently never be followed.
        detail: { channel_name: Match.prefix(props.namePrefix) },
      },
    });
    const playbackBucket = props.recording?.playbackBucket;
    if (this.recordings && playbackBucket) {
      this.onRecordingState = new EventHandler(this, 'OnRecordingState', {
        ...handlerDefaults,
        handler: 'live/on-recording-state',
        description:
          'A lecture’s recording started, ended or failed: recordings are complete only at the end',
        deadLetters: 'recording state changes no lecture learned of',
        eventPattern: {
          source: ['aws.ivs'],
          detailType: ['IVS Recording State Change'],
          detail: { recording_s3_bucket_name: [this.recordings.bucket.bucketName] },
        },
      });
      // It copies a finished recording beside the course's videos: reads the recording, writes renditions.
      const copier = this.onRecordingState.function;
      copier.function.addEnvironment(VOD.env.outputBucket, playbackBucket.bucketName);
      // Both buckets are S3-managed encrypted: no key to grant.
      const recordingObjects = this.recordings.bucket.arnForObjects('ivs/*');
      // Through a named export, so the acknowledgement below names the ARN as cdk-nag reads it here.
      const playbackBucketArn = Stack.of(playbackBucket).exportValue(playbackBucket.bucketArn);
      const renditions = `${playbackBucketArn}/${VOD.outputPrefix}*`;
      copier.function.addToRolePolicy(
        new PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.recordings.bucket.bucketArn] }),
      );
      copier.function.addToRolePolicy(
        new PolicyStatement({ actions: ['s3:GetObject'], resources: [recordingObjects] }),
      );
      copier.function.addToRolePolicy(
        new PolicyStatement({ actions: ['s3:PutObject'], resources: [renditions] }),
      );
      Validations.of(copier.role).acknowledge(
        {
          id: `AwsSolutions-IAM5[Resource::${nagResource(this, recordingObjects)}]`,
          reason: 'IVS writes each recording under its own ivs/v1/<account>/<channel>/<time>/<id>/ prefix.',
        },
        {
          id: `AwsSolutions-IAM5[Resource::${nagResource(this, renditions)}]`,
          reason:
            'A recording is copied under hls/<lectureId>/, as every video’s renditions live under hls/<contentId>/.',
        },
      );
    }
    this.sweep = new EventHandler(this, 'SweepLectures', {
      ...handlerDefaults,
      handler: 'live/sweep-lectures',
      description: 'Reconciles scheduled and live lectures with their IVS streams',
      deadLetters: 'sweeps that failed as a whole',
      schedule: Schedule.rate(SWEEP_RATE),
      timeout: SWEEP_TIMEOUT,
      retries: SWEEP_RETRIES,
    });
    // IVS names a channel when it is created, so the platform's channels are `channel/*` of this account and
    // region; GetStream only reads.
    const channels = this.formatArn({ service: 'ivs', resource: 'channel', resourceName: '*' });
    this.sweep.function.function.addToRolePolicy(
      new PolicyStatement({ actions: ['ivs:GetStream'], resources: [channels] }),
    );
    Validations.of(this.sweep.function.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResource(this, channels)}]`,
      reason: 'IVS names channels at runtime (one per lecture); GetStream on them only reads stream state.',
    });

    this.release = new EventHandler(this, 'ReleaseChannels', {
      ...handlerDefaults,
      handler: 'live/release-lecture-channels',
      description: 'Gives IVS back the channels and rooms of ended, cancelled and orphaned lectures',
      deadLetters: 'channel releases that failed as a whole',
      schedule: Schedule.rate(RELEASE_RATE),
      timeout: RELEASE_TIMEOUT,
      retries: RELEASE_RETRIES,
    });
    const rooms = this.formatArn({ service: 'ivschat', resource: 'room', resourceName: '*' });
    // It deletes only what carries this platform's own tag (ivs-resources.ts platformTags), whatever it lists.
    const ownTag = { StringEquals: { 'aws:ResourceTag/platform': props.namePrefix } };
    const releaser = this.release.function.function;
    releaser.addToRolePolicy(
      new PolicyStatement({ actions: ['ivs:ListChannels', 'ivschat:ListRooms'], resources: ['*'] }),
    );
    releaser.addToRolePolicy(
      new PolicyStatement({ actions: ['ivs:DeleteChannel'], resources: [channels], conditions: ownTag }),
    );
    releaser.addToRolePolicy(
      new PolicyStatement({ actions: ['ivschat:DeleteRoom'], resources: [rooms], conditions: ownTag }),
    );
    this.release.function.bindTable(this.table, ENV.liveTable, 'readWrite');
    Validations.of(this.release.function.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'ivs:ListChannels and ivschat:ListRooms have no resource-level permissions.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${nagResource(this, channels)}]`,
        reason: 'IVS names channels at runtime; DeleteChannel is limited to those tagged with this platform.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${nagResource(this, rooms)}]`,
        reason: 'IVS chat names rooms at runtime; DeleteRoom is limited to those tagged with this platform.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${nagResource(this, this.table.tableArn)}/index/*]`,
        reason: 'The live table’s three indexes (LIVE.indexes): by provision, by channel, by sweep state.',
      },
    );

    const handlers = [
      this.onStreamState,
      ...(this.onRecordingState ? [this.onRecordingState] : []),
      this.sweep,
    ];
    for (const { function: fn } of handlers) {
      fn.bindTable(this.table, ENV.liveTable, 'readWrite');
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResource(this, this.table.tableArn)}/index/*]`,
        reason: 'The live table’s three indexes (LIVE.indexes): by provision, by channel, by sweep state.',
      });
      fn.function.addEnvironment(EVENTS.busNameEnv, props.eventBus.eventBusName);
      props.eventBus.grantPutEventsTo(fn.function);
    }
    // Not the key's function: it runs once per deploy, and CloudFormation reports its failures.
    this.functionsForMonitoring = [...handlers, this.release].map((h) => h.function);
    this.deadLetterQueues = [
      { name: 'LiveStreamStateDeadLetters', queue: this.onStreamState.deadLetterQueue },
      ...(this.onRecordingState
        ? [{ name: 'LiveRecordingStateDeadLetters', queue: this.onRecordingState.deadLetterQueue }]
        : []),
      { name: 'LiveSweepDeadLetters', queue: this.sweep.deadLetterQueue },
      { name: 'LiveReleaseDeadLetters', queue: this.release.deadLetterQueue },
    ];

    new CfnOutput(this, 'PlaybackKeyPairArn', { value: this.playbackKey.keyPairArn });
    if (this.recordings)
      new CfnOutput(this, 'RecordingBucketName', { value: this.recordings.bucket.bucketName });
  }
}
