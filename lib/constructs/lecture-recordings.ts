import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { CfnRecordingConfiguration } from 'aws-cdk-lib/aws-ivs';
import { Bucket, StorageClass, type LifecycleRule } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { accessLogBucket, privateBucket } from '../private-bucket';

// S3 access logs are for incident forensics (who read which recording, when); after 90 days they only cost.
// S3's minimum age for Standard-IA; recordings are read mostly in the first weeks, while they become videos.
const INFREQUENT_ACCESS_AFTER_DAYS = 30;
// IVS writes segments with multipart uploads; parts of one that never completed are billed but invisible.
const ABORT_INCOMPLETE_UPLOAD_DAYS = 7;
// An instructor whose connection drops and comes back within this window keeps one recording, not two.
const RECONNECT_WINDOW_SECONDS = 60;

export interface LectureRecordingsProps {
  /** Prefix of IVS resource names: the recording configuration is `<namePrefix>-recordings`. */
  readonly namePrefix: string;
  /** Days a raw recording is kept before S3 expires it. */
  readonly retentionDays: number;
  /**
   * Retain both buckets when the stack is deleted, or empty and delete them.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Where IVS records lectures: a private, encrypted, TLS-only bucket (IVS writes through its service-linked
 * role, so no bucket policy grants it anything), its access logs, and the IVS recording configuration that
 * channels name to record into it. Thumbnails are off: the video pipeline makes its own when a recording
 * becomes a course video.
 */
export class LectureRecordings extends Construct {
  public readonly bucket: Bucket;
  /** S3 server access logs of the recordings bucket. */
  public readonly accessLogBucket: Bucket;
  public readonly recordingConfiguration: CfnRecordingConfiguration;
  /** What CreateChannel's `recordingConfigurationArn` takes. */
  public readonly recordingConfigurationArn: string;

  constructor(scope: Construct, id: string, props: LectureRecordingsProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.accessLogBucket = accessLogBucket(this, removalPolicy);
    this.bucket = new Bucket(this, 'Bucket', {
      ...privateBucket(removalPolicy),
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'recordings/',
      lifecycleRules: [
        {
          id: 'abort-incomplete-multipart-uploads',
          abortIncompleteMultipartUploadAfter: Duration.days(ABORT_INCOMPLETE_UPLOAD_DAYS),
        },
        recordingLifecycle(props.retentionDays),
      ],
    });

    this.recordingConfiguration = new CfnRecordingConfiguration(this, 'Configuration', {
      name: `${props.namePrefix}-recordings`,
      destinationConfiguration: { s3: { bucketName: this.bucket.bucketName } },
      recordingReconnectWindowSeconds: RECONNECT_WINDOW_SECONDS,
      thumbnailConfiguration: { recordingMode: 'DISABLED' },
    });
    this.recordingConfigurationArn = this.recordingConfiguration.attrArn;
  }
}

/** Expire after the retention; move to Standard-IA first when the retention is long enough to pay off. */
function recordingLifecycle(retentionDays: number): LifecycleRule {
  return {
    id: 'expire-raw-recordings',
    expiration: Duration.days(retentionDays),
    ...(retentionDays > INFREQUENT_ACCESS_AFTER_DAYS
      ? {
          transitions: [
            {
              storageClass: StorageClass.INFREQUENT_ACCESS,
              transitionAfter: Duration.days(INFREQUENT_ACCESS_AFTER_DAYS),
            },
          ],
        }
      : {}),
  };
}
