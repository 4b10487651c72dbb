import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { EventExport } from '../constructs/event-export';
import { accessLogBucket, privateBucket } from '../private-bucket';

export interface AnalyticsStackProps extends StackProps {
  /** The platform bus, whose every event is exported. */
  readonly eventBus: IEventBus;
  /** Prefix of names AWS keeps region-wide (the stream, the Glue database, the workgroup): `lms-<slug>-<stage>`. */
  readonly namePrefix: string;
  readonly logRetention: RetentionDays;
  /** Retain the key, the buckets and the log group when the stack is deleted, or delete them with it. */
  readonly keepStatefulData: boolean;
  /** Days an exported file is kept. */
  readonly retentionDays: number;
  /** Longest time Firehose gathers events before writing a file, in seconds. */
  readonly bufferSeconds: number;
  /** Most data one query of the workgroup may scan, in GiB. */
  readonly bytesScannedCutoffGiB: number;
  /** Days Athena's query results are kept. */
  readonly resultRetentionDays: number;
}

/**
 * The optional analytics export (`analytics.export.enabled`): the bus's events in S3 as Parquet, a Glue
 * table over them and an Athena workgroup to ask them questions, so heavy and ad hoc questions run on Athena
 * rather than on the production database. Stateful (the exported files), so retained like the data stack
 * when the config keeps data.
 */
export class AnalyticsStack extends Stack {
  public readonly key: Key;
  public readonly export: EventExport;
  public readonly resultsBucket: Bucket;
  public readonly workGroup: CfnWorkGroup;

  constructor(scope: Construct, id: string, props: AnalyticsStackProps) {
    super(scope, id, props);
    const removalPolicy = props.keepStatefulData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.key = new Key(this, 'Key', {
      description: 'Encrypts the exported events and Athena’s query results',
      enableKeyRotation: true,
      removalPolicy,
    });
    const accessLogs = accessLogBucket(this, removalPolicy);
    this.export = new EventExport(this, 'Export', {
      eventBus: props.eventBus,
      namePrefix: props.namePrefix,
      key: this.key,
      accessLogBucket: accessLogs,
      retentionDays: props.retentionDays,
      bufferSeconds: props.bufferSeconds,
      logRetention: props.logRetention,
      removalPolicy,
    });

    // Results hold answers about people (who enrolled, who completed): encrypted like the events, and expired.
    this.resultsBucket = new Bucket(this, 'Results', {
      ...privateBucket(removalPolicy),
      encryption: BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'results/',
      lifecycleRules: [
        { id: 'expire-query-results', expiration: Duration.days(props.resultRetentionDays) },
        { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    this.workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: `${props.namePrefix}-analytics`,
      description: 'Questions about the platform’s events; results encrypted, scans bounded',
      state: 'ENABLED',
      // The workgroup (and its query history) goes with the stack when the data does not outlive it.
      recursiveDeleteOption: !props.keepStatefulData,
      workGroupConfiguration: {
        // A client's own result location or encryption is overridden: results land only here, encrypted.
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoffGiB * 1024 ** 3,
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: this.key.keyArn },
          expectedBucketOwner: this.account,
        },
      },
    });

    new CfnOutput(this, 'WorkGroupName', { value: this.workGroup.name });
    new CfnOutput(this, 'DatabaseName', { value: this.export.databaseName });
    new CfnOutput(this, 'EventsBucketName', { value: this.export.bucket.bucketName });
  }
}
