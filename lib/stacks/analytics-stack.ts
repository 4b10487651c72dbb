import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { ANALYTICS } from '#contracts/analytics';
import { EventExport } from '../constructs/event-export';
import { nagResource } from '../nag-resource';
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
  /** The platform's alarm topic (the monitoring stack's): the export's delivery alarms notify it. */
  readonly alarmTopic: ITopic;
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
  /**
   * What asking the export questions takes, and no more: attach it to an analyst's role or SSO permission set.
   * Nothing in the platform holds it.
   */
  public readonly queryPolicy: ManagedPolicy;

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
      alarmTopic: props.alarmTopic,
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

    const glueArn = (resource: string, resourceName?: string) =>
      this.formatArn({ service: 'glue', resource, ...(resourceName ? { resourceName } : {}) });
    const { databaseName } = this.export;
    const events = this.export.bucket.arnForObjects(`${ANALYTICS.eventsPrefix}*`);
    const results = this.resultsBucket.arnForObjects('results/*');
    this.queryPolicy = new ManagedPolicy(this, 'QueryPolicy', {
      description: 'Query the platform’s exported events with Athena, in the analytics workgroup only',
      statements: [
        new PolicyStatement({
          actions: [
            'athena:GetWorkGroup',
            'athena:StartQueryExecution',
            'athena:StopQueryExecution',
            'athena:GetQueryExecution',
            'athena:GetQueryResults',
            'athena:ListQueryExecutions',
            'athena:BatchGetQueryExecution',
          ],
          resources: [
            this.formatArn({ service: 'athena', resource: 'workgroup', resourceName: this.workGroup.name }),
          ],
        }),
        new PolicyStatement({
          actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartitions'],
          resources: [
            glueArn('catalog'),
            glueArn('database', databaseName),
            glueArn('table', `${databaseName}/${ANALYTICS.tableName}`),
          ],
        }),
        new PolicyStatement({
          actions: ['s3:GetBucketLocation', 's3:ListBucket'],
          resources: [this.export.bucket.bucketArn, this.resultsBucket.bucketArn],
        }),
        new PolicyStatement({ actions: ['s3:GetObject'], resources: [events] }),
        new PolicyStatement({
          actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
          resources: [results],
        }),
        // Reading the events and writing results, both through S3.
        new PolicyStatement({
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [this.key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${this.region}.amazonaws.com` } },
        }),
      ],
    });
    Validations.of(this.queryPolicy).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::${nagResource(this, events)}]`,
        reason: 'Firehose names the export’s files at delivery, one prefix a day under events/; read only.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${nagResource(this, results)}]`,
        reason:
          'Athena names each query’s result files by the query’s id, under the workgroup’s results/ prefix.',
      },
    );

    new CfnOutput(this, 'QueryPolicyArn', { value: this.queryPolicy.managedPolicyArn });
    new CfnOutput(this, 'WorkGroupName', { value: this.workGroup.name });
    new CfnOutput(this, 'DatabaseName', { value: this.export.databaseName });
    new CfnOutput(this, 'EventsBucketName', { value: this.export.bucket.bucketName });
  }
}
