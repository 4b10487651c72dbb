import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { type IEventBus, type IRuleTarget, Rule } from 'aws-cdk-lib/aws-events';
import { addToDeadLetterQueueResourcePolicy } from 'aws-cdk-lib/aws-events-targets';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import { PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import { CfnDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, LogStream, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ANALYTICS } from '#contracts/analytics';
import { EVENTS } from '#contracts/resources';
import { nagResource } from '../nag-resource';
import { privateBucket } from '../private-bucket';
import { servicePrincipalFor } from '../service-principal';

/** Firehose's smallest buffer when it converts to Parquet: a file holds up to this much (MiB) of input. */
const CONVERSION_BUFFER_MIB = 64;
/**
 * The first day partition projection offers. Days before the export existed have no files, so a query
 * without a `dt` predicate lists a few empty prefixes more; no partition is ever registered by hand.
 */
const PROJECTION_FROM = '2026-01-01';
/**
 * How much later than its buffer a file may reach S3 before the export counts as stuck: conversion and the
 * write take seconds, and Firehose retries a failed write for minutes before the record is older than this.
 */
const FRESHNESS_MARGIN = Duration.minutes(15);
/** EventBridge's own retry bounds, set so the template says them: a day, 185 attempts, then the queue. */
const RULE_RETRY = { maximumEventAgeInSeconds: 24 * 60 * 60, maximumRetryAttempts: 185 };

export interface EventExportProps {
  /** The platform bus, whose every event is exported. */
  readonly eventBus: IEventBus;
  /** Names AWS keeps region-wide: the delivery stream is `<namePrefix>-events`, the Glue database from it too. */
  readonly namePrefix: string;
  /** Encrypts the exported files (and the stream's error log). */
  readonly key: IKey;
  /** Receives the export bucket's server access logs. */
  readonly accessLogBucket: Bucket;
  /** Days an exported file is kept. */
  readonly retentionDays: number;
  /** Longest time Firehose gathers events before writing a file, in seconds (60 to 900). */
  readonly bufferSeconds: number;
  readonly logRetention: RetentionDays;
  /** Retain the bucket and the log group when the stack is deleted, or empty and delete them. */
  readonly removalPolicy: RemovalPolicy;
  /** The platform's alarm topic, which the export's alarms notify (and again when they clear). */
  readonly alarmTopic: ITopic;
}

/**
 * Every event of the platform bus, in S3 as Parquet, a prefix per day: an EventBridge rule on every source
 * of the platform sends each event to a Firehose delivery stream, which converts the JSON to Parquet with the
 * Glue table's schema and writes it under `events/dt=YYYY-MM-DD/` (the day Firehose received it, UTC) into a
 * KMS-encrypted bucket. The table projects the `dt` partitions, so no crawler runs and no partition is added.
 * Delivery is at least once (EventBridge and Firehose both retry): a query counts distinct `id`s.
 *
 * A failed delivery is seen: an event EventBridge could not put into the stream in a day of retries lands in
 * a dead-letter queue, a record Firehose could not convert under `errors/`, and alarms on the queue, on
 * conversion failures, on failed writes to S3 and on records older than the buffer notify the alarm topic.
 */
export class EventExport extends Construct {
  public readonly bucket: Bucket;
  public readonly database: CfnDatabase;
  public readonly table: CfnTable;
  public readonly databaseName: string;
  public readonly deliveryStream: CfnDeliveryStream;
  /** The role Firehose writes with. */
  public readonly role: Role;
  /** The role EventBridge puts records into the stream with. */
  public readonly ruleRole: Role;
  public readonly rule: Rule;
  /** Events EventBridge could not put into the stream after its retries. */
  public readonly deadLetterQueue: Queue;
  /** Each alarm by what it watches. */
  public readonly alarms: {
    readonly dataFreshness: Alarm;
    readonly deliverySuccess: Alarm;
    readonly failedConversions: Alarm;
    readonly deadLetters: Alarm;
  };

  constructor(scope: Construct, id: string, props: EventExportProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.bucket = new Bucket(this, 'Bucket', {
      ...privateBucket(props.removalPolicy),
      encryption: BucketEncryption.KMS,
      encryptionKey: props.key,
      // One data key per bucket, not per object: Firehose writes a file every few minutes, each a KMS call.
      bucketKeyEnabled: true,
      serverAccessLogsBucket: props.accessLogBucket,
      serverAccessLogsPrefix: 'events/',
      lifecycleRules: [
        { id: 'expire-exported-events', expiration: Duration.days(props.retentionDays) },
        // Firehose writes large files with multipart uploads; one that never completed is billed unseen.
        { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });

    // Glue's and Athena's names take no hyphen without quoting.
    this.databaseName = `${props.namePrefix.replace(/-/g, '_')}_analytics`;
    this.database = new CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: {
        name: this.databaseName,
        description: 'The platform bus’s events, exported for analytics',
      },
    });
    const location = `s3://${this.bucket.bucketName}/${ANALYTICS.eventsPrefix}`;
    this.table = new CfnTable(this, 'Table', {
      catalogId: stack.account,
      databaseName: this.databaseName,
      tableInput: {
        name: ANALYTICS.tableName,
        description: 'Every event of the platform bus, one row each, partitioned by the day it arrived (UTC)',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [{ name: ANALYTICS.partitionKey, type: 'string', comment: 'yyyy-MM-dd, UTC' }],
        parameters: {
          classification: 'parquet',
          'projection.enabled': 'true',
          [`projection.${ANALYTICS.partitionKey}.type`]: 'date',
          [`projection.${ANALYTICS.partitionKey}.format`]: 'yyyy-MM-dd',
          [`projection.${ANALYTICS.partitionKey}.range`]: `${PROJECTION_FROM},NOW`,
          [`projection.${ANALYTICS.partitionKey}.interval`]: '1',
          [`projection.${ANALYTICS.partitionKey}.interval.unit`]: 'DAYS',
          'storage.location.template': `${location}${ANALYTICS.partitionKey}=\${${ANALYTICS.partitionKey}}/`,
        },
        storageDescriptor: {
          location,
          columns: ANALYTICS.columns.map(({ name, type, comment }) => ({ name, type, comment })),
          inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
        },
      },
    });
    this.table.node.addDependency(this.database);

    const streamName = `${props.namePrefix}-events`;
    const streamArn = stack.formatArn({
      service: 'firehose',
      resource: 'deliverystream',
      resourceName: streamName,
    });
    // Delivery failures (a file not written, a record not converted) go to CloudWatch Logs; else no one sees them.
    const logGroup = new LogGroup(this, 'DeliveryLog', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const logStream = new LogStream(this, 'DeliveryLogStream', {
      logGroup,
      removalPolicy: props.removalPolicy,
    });

    this.role = new Role(this, 'DeliveryRole', {
      assumedBy: servicePrincipalFor(this, 'firehose.amazonaws.com', streamArn),
      description: 'Writes the platform bus’s events to the analytics bucket as Parquet',
    });
    const glueArn = (resource: string, resourceName?: string) =>
      stack.formatArn({ service: 'glue', resource, ...(resourceName ? { resourceName } : {}) });
    const prefixes = [ANALYTICS.eventsPrefix, ANALYTICS.errorsPrefix].map((p) =>
      this.bucket.arnForObjects(`${p}*`),
    );
    const statements = [
      // What Firehose's S3 destination calls: the bucket's location and listing, and multipart writes.
      new PolicyStatement({
        actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [this.bucket.bucketArn],
      }),
      new PolicyStatement({
        actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
        resources: prefixes,
      }),
      // Through S3 only: the key encrypts what Firehose writes there, and nothing else on the role's behalf.
      new PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [props.key.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` },
          // With the bucket key S3 asks KMS in the bucket's name (the encryption context is its ARN); without
          // it, in the object's, under the export's prefixes.
          StringLike: { 'kms:EncryptionContext:aws:s3:arn': [this.bucket.bucketArn, ...prefixes] },
        },
      }),
      // The schema of the conversion: the table, its database and the catalog, read only.
      new PolicyStatement({
        actions: ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'],
        resources: [
          glueArn('catalog'),
          glueArn('database', this.databaseName),
          glueArn('table', `${this.databaseName}/${ANALYTICS.tableName}`),
        ],
      }),
      new PolicyStatement({
        actions: ['logs:PutLogEvents'],
        resources: [
          stack.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: `${logGroup.logGroupName}:log-stream:${logStream.logStreamName}`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    ];
    for (const s of statements) this.role.addToPolicy(s);
    Validations.of(this.role).acknowledge(
      ...prefixes.map((p) => ({
        id: `AwsSolutions-IAM5[Resource::${nagResource(this, p)}]`,
        reason:
          'Firehose names each file at delivery (the day, the hour and a random suffix) under the export’s ' +
          'own prefixes: events/ for Parquet, errors/ for records it could not convert.',
      })),
    );

    this.deliveryStream = new CfnDeliveryStream(this, 'DeliveryStream', {
      deliveryStreamName: streamName,
      deliveryStreamType: 'DirectPut',
      // Records wait in Firehose for at most the buffer's interval; encrypted there with an AWS-owned key.
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
      extendedS3DestinationConfiguration: {
        bucketArn: this.bucket.bucketArn,
        roleArn: this.role.roleArn,
        prefix: `${ANALYTICS.eventsPrefix}${ANALYTICS.partitionKey}=!{timestamp:yyyy-MM-dd}/`,
        errorOutputPrefix: `${ANALYTICS.errorsPrefix}!{firehose:error-output-type}/${ANALYTICS.partitionKey}=!{timestamp:yyyy-MM-dd}/`,
        bufferingHints: { intervalInSeconds: props.bufferSeconds, sizeInMBs: CONVERSION_BUFFER_MIB },
        // Parquet compresses its pages itself (Snappy, below); S3-level compression must be off to convert.
        compressionFormat: 'UNCOMPRESSED',
        encryptionConfiguration: { kmsEncryptionConfig: { awskmsKeyArn: props.key.keyArn } },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: logGroup.logGroupName,
          logStreamName: logStream.logStreamName,
        },
        dataFormatConversionConfiguration: {
          enabled: true,
          inputFormatConfiguration: {
            deserializer: {
              openXJsonSerDe: {
                columnToJsonKeyMappings: Object.fromEntries(
                  ANALYTICS.columns.flatMap((c) => ('jsonKey' in c ? [[c.name, c.jsonKey]] : [])),
                ),
              },
            },
          },
          outputFormatConfiguration: { serializer: { parquetSerDe: { compression: 'SNAPPY' } } },
          schemaConfiguration: {
            catalogId: stack.account,
            databaseName: this.databaseName,
            tableName: ANALYTICS.tableName,
            region: stack.region,
            roleArn: this.role.roleArn,
            versionId: 'LATEST',
          },
        },
      },
    });
    // Firehose checks its role's access to the bucket and the table when the stream is created.
    this.deliveryStream.node.addDependency(this.role, this.table);

    // Named, so the role trusts this rule alone (its ARN from the name, as the rule names the role).
    const ruleName = `${props.namePrefix}-analytics-export`;
    this.ruleRole = new Role(this, 'RuleRole', {
      assumedBy: servicePrincipalFor(
        this,
        'events.amazonaws.com',
        stack.formatArn({
          service: 'events',
          resource: 'rule',
          resourceName: `${props.eventBus.eventBusName}/${ruleName}`,
        }),
      ),
      description: 'Puts the platform bus’s events into the analytics delivery stream',
    });
    this.ruleRole.addToPolicy(
      new PolicyStatement({
        actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
        resources: [this.deliveryStream.attrArn],
      }),
    );
    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // SQS's longest: the events are the export's only copy outside the database, kept to be sent again.
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This is the dead-letter queue of the analytics export’s rule; an alarm watches it.',
    });
    const target: IRuleTarget = {
      bind: () => ({
        arn: this.deliveryStream.attrArn,
        role: this.ruleRole,
        deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
        retryPolicy: RULE_RETRY,
      }),
    };
    this.rule = new Rule(this, 'Rule', {
      ruleName,
      eventBus: props.eventBus,
      description: 'Every event of the platform, to the analytics export',
      // Every domain's source, as contracts/resources.ts lists them: a new domain is exported when it is added.
      eventPattern: { source: Object.values(EVENTS.sources) },
      targets: [target],
    });
    // EventBridge sends to the queue as itself, for this rule only.
    addToDeadLetterQueueResourcePolicy(this.rule, this.deadLetterQueue);

    const streamMetric = (metricName: string, statistic: string) =>
      new Metric({
        namespace: 'AWS/Firehose',
        metricName,
        dimensionsMap: { DeliveryStreamName: streamName },
        statistic,
        period: Duration.minutes(5),
      });
    // No events, no datapoints: a quiet bus is not a failure.
    const quiet = { treatMissingData: TreatMissingData.NOT_BREACHING };
    const freshnessSeconds = props.bufferSeconds + FRESHNESS_MARGIN.toSeconds();
    this.alarms = {
      dataFreshness: new Alarm(this, 'DataFreshnessAlarm', {
        alarmDescription:
          `The oldest event not yet in S3 is over ${freshnessSeconds} s old (the ${props.bufferSeconds} s buffer ` +
          `and ${FRESHNESS_MARGIN.toMinutes()} min): the export is not writing files. See the stream's ` +
          'delivery log for the S3, KMS or Glue error.',
        metric: streamMetric('DeliveryToS3.DataFreshness', 'Maximum'),
        threshold: freshnessSeconds,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        ...quiet,
      }),
      deliverySuccess: new Alarm(this, 'DeliverySuccessAlarm', {
        alarmDescription:
          'Firehose’s writes to the analytics bucket have been failing for 15 minutes (it retries them, and ' +
          'the events wait in the stream). See the stream’s delivery log for the S3 or KMS error.',
        // The share of writes that succeeded: below 1 in each of three periods is a lasting failure.
        metric: streamMetric('DeliveryToS3.Success', 'Average'),
        threshold: 1,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 3,
        ...quiet,
      }),
      failedConversions: new Alarm(this, 'FailedConversionsAlarm', {
        alarmDescription:
          'Firehose could not convert events to Parquet with the Glue table’s schema: they are under ' +
          `${ANALYTICS.errorsPrefix} in the bucket as JSON, and missing from the table's queries.`,
        metric: streamMetric('FailedConversion.Records', 'Sum'),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        ...quiet,
      }),
      deadLetters: new Alarm(this, 'DeadLettersAlarm', {
        alarmDescription:
          'EventBridge could not put events into the analytics delivery stream for a day of retries: they ' +
          'are in the export’s dead-letter queue, missing from the bucket until sent again.',
        metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          statistic: 'Maximum',
          period: Duration.minutes(5),
        }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        ...quiet,
      }),
    };
    for (const alarm of Object.values(this.alarms)) {
      alarm.addAlarmAction(new SnsAction(props.alarmTopic));
      alarm.addOkAction(new SnsAction(props.alarmTopic));
    }
  }
}
