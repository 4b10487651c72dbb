import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { eventEnvelope } from '#contracts/platform-events';
import { EVENTS } from '#contracts/resources';
import { parseConfig } from '#lib/config/load-config';
import { buildPlatform } from '#lib/platform';
import { estimateCost } from '#tools/cost/model';
import { transcodeLadder } from '#tools/cost/ladder';
import { loadPriceTable } from '#tools/cost/prices';
import { stackTemplate } from '#tools/cost/templates';
import { fixtureConfig, type RawConfig, rawFixture, refusalOf } from '../fixture-configs';
import { platformFor } from '../platform-fixture';

/** A fixture config with the export on (the shipped configs leave it off). */
const withExport = (name: string, analytics: RawConfig = {}) =>
  parseConfig(
    { ...rawFixture(name), analytics: { ...analytics, export: { enabled: true, ...analytics.export } } },
    `${name}.json`,
  );

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]).sort();
const resourcesOf = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

describe('analytics stack', () => {
  it('is not there unless the config turns the export on', () => {
    expect(fixtureConfig('default').analytics.export.enabled).toBe(false);
    expect(fixtureConfig('example-academy').analytics.export.enabled).toBe(false);
    const { platform } = platformFor('example-academy');
    expect(platform).not.toHaveProperty('analytics');
  });

  it('refuses settings Firehose, S3 or Athena would not take, naming the field', () => {
    const refused = (analytics: RawConfig) => refusalOf({ ...rawFixture('default'), analytics });
    expect(refused({ export: { bufferSeconds: 30 } })).toMatch(/analytics\.export\.bufferSeconds/);
    expect(refused({ export: { retentionDays: 0 } })).toMatch(/analytics\.export\.retentionDays/);
    expect(refused({ athena: { bytesScannedCutoffGiB: 0.5 } })).toMatch(
      /analytics\.athena\.bytesScannedCutoffGiB/,
    );
    expect(refused({ export: { enabled: 'yes' } })).toMatch(/analytics\.export\.enabled/);
    expect(refused({ exports: {} })).toMatch(/exports/);
  });

  describe('when on (dev, environment-agnostic)', () => {
    const { platform } = platformFor(withExport('default'));
    const stack = platform.analytics!;
    const t = Template.fromStack(stack);
    const resolve = (v: unknown) => stack.resolve(v);
    const idOf = (c: { node: { defaultChild?: unknown } } | unknown) =>
      stack.getLogicalId((c as { node: { defaultChild: never } }).node.defaultChild);
    const exp = stack.export;
    const bucketId = idOf(exp.bucket);
    const keyId = idOf(stack.key);
    const bucketProps = (id: string) => t.toJSON().Resources[id].Properties;
    const streamProps = t.toJSON().Resources[stack.getLogicalId(exp.deliveryStream)].Properties;
    const destination = streamProps.ExtendedS3DestinationConfiguration;
    const tableInput = t.toJSON().Resources[stack.getLogicalId(exp.table)].Properties.TableInput;

    it('keeps the events in a private bucket encrypted with its own rotating KMS key', () => {
      expect(bucketProps(bucketId)).toMatchObject({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] },
              },
            },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LoggingConfiguration: expect.objectContaining({ LogFilePrefix: 'events/' }),
      });
      t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
      // Firehose writes with the same key, not S3's default for the bucket alone.
      expect(destination.EncryptionConfiguration).toEqual({
        KMSEncryptionConfig: { AWSKMSKeyARN: { 'Fn::GetAtt': [keyId, 'Arn'] } },
      });
    });

    it('refuses any request to either bucket that is not over TLS', () => {
      for (const bucket of [exp.bucket, stack.resultsBucket]) {
        const policy = Object.values(t.findResources('AWS::S3::BucketPolicy')).find((p) =>
          same(p.Properties.Bucket, resolve(bucket.bucketName)),
        )!;
        expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
          expect.objectContaining({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        );
      }
    });

    it('expires exported files after the configured days (730 by default)', () => {
      expect(bucketProps(bucketId).LifecycleConfiguration.Rules).toContainEqual({
        Id: 'expire-exported-events',
        ExpirationInDays: 730,
        Status: 'Enabled',
      });
    });

    it('writes Parquet under events/dt=yyyy-MM-dd/, the prefix the table projects its dt partitions from', () => {
      expect(destination.Prefix).toBe('events/dt=!{timestamp:yyyy-MM-dd}/');
      expect(destination.ErrorOutputPrefix).toBe(
        'errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/',
      );
      const bucketName = { Ref: bucketId };
      const s3 = (suffix: string) => ({ 'Fn::Join': ['', ['s3://', bucketName, suffix]] });
      expect(tableInput.StorageDescriptor.Location).toEqual(s3('/events/'));
      expect(tableInput.PartitionKeys).toEqual([{ Name: 'dt', Type: 'string', Comment: 'yyyy-MM-dd, UTC' }]);
      expect(tableInput.Parameters).toMatchObject({
        'projection.enabled': 'true',
        'projection.dt.type': 'date',
        // Firehose's !{timestamp:yyyy-MM-dd} and the projection read the same day format.
        'projection.dt.format': 'yyyy-MM-dd',
        'projection.dt.range': '2026-01-01,NOW',
        'projection.dt.interval': '1',
        'projection.dt.interval.unit': 'DAYS',
        'storage.location.template': s3('/events/dt=${dt}/'),
      });
      // No crawler: the projection is the only source of partitions.
      expect(t.findResources('AWS::Glue::Crawler')).toEqual({});
      expect(tableInput.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(
        'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
      );
      expect(destination.DataFormatConversionConfiguration).toMatchObject({
        Enabled: true,
        OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: 'SNAPPY' } } },
        SchemaConfiguration: {
          DatabaseName: exp.databaseName,
          TableName: 'events',
          VersionId: 'LATEST',
          RoleARN: { 'Fn::GetAtt': [idOf(exp.role), 'Arn'] },
        },
      });
      expect(destination.BufferingHints).toEqual({ IntervalInSeconds: 300, SizeInMBs: 64 });
    });

    it("has the envelope's fields as columns, read from the event's own keys", () => {
      const columns = tableInput.StorageDescriptor.Columns.map((c: { Name: string; Type: string }) => [
        c.Name,
        c.Type,
      ]);
      expect(columns).toEqual([
        ['id', 'string'],
        ['source', 'string'],
        ['detail_type', 'string'],
        ['time', 'timestamp'],
        ['detail', 'string'],
      ]);
      // Every column but the renamed one is a key of the envelope as EventBridge delivers it.
      const keys = Object.keys(eventEnvelope.shape);
      const mappings =
        destination.DataFormatConversionConfiguration.InputFormatConfiguration.Deserializer.OpenXJsonSerDe
          .ColumnToJsonKeyMappings;
      expect(mappings).toEqual({ detail_type: 'detail-type' });
      for (const [name] of columns) expect(keys).toContain(mappings[name] ?? name);
    });

    it("gives Firehose's role exactly the bucket's prefixes, the key through S3, the table and its log stream", () => {
      const policies = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) =>
        same(p.Properties.Roles, [{ Ref: idOf(exp.role) }]),
      );
      const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
      const bucketArn = { 'Fn::GetAtt': [bucketId, 'Arn'] };
      const objects = (prefix: string) => ({ 'Fn::Join': ['', [bucketArn, `/${prefix}*`]] });
      const glue = (tail: string) => ({
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':glue:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            tail,
          ],
        ],
      });
      const db = exp.databaseName;
      expect(db).toBe('lms_demo_dev_analytics');
      expect(statements.map((s) => [s.Effect, actionsOf(s), resourcesOf(s)])).toEqual([
        ['Allow', ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'], [bucketArn]],
        [
          'Allow',
          ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
          [objects('events/'), objects('errors/')],
        ],
        ['Allow', ['kms:Decrypt', 'kms:GenerateDataKey'], [{ 'Fn::GetAtt': [keyId, 'Arn'] }]],
        [
          'Allow',
          ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'],
          [glue(':catalog'), glue(`:database/${db}`), glue(`:table/${db}/events`)],
        ],
        ['Allow', ['logs:PutLogEvents'], [expect.anything()]],
      ]);
      expect(statements[2]!.Condition).toEqual({
        StringEquals: {
          'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
        },
        StringLike: {
          'kms:EncryptionContext:aws:s3:arn': [bucketArn, objects('events/'), objects('errors/')],
        },
      });
      // The log stream's own ARN, no wildcard.
      expect(JSON.stringify(statements[4]!.Resource)).toContain(':log-stream:');
      expect(JSON.stringify(statements[4]!.Resource)).not.toContain('*');
      // Firehose assumes it for this stream alone.
      const trust = t.toJSON().Resources[idOf(exp.role)].Properties.AssumeRolePolicyDocument.Statement[0];
      expect(trust.Principal).toEqual({ Service: 'firehose.amazonaws.com' });
      expect(JSON.stringify(trust.Condition.ArnLike['aws:SourceArn'])).toContain(
        ':deliverystream/lms-demo-dev-events',
      );
    });

    it('routes every source of the platform to the stream, with a role that may only put records into it', () => {
      const rules = Object.values(t.findResources('AWS::Events::Rule'));
      expect(rules).toHaveLength(1);
      const rule = rules[0]!.Properties;
      expect(rule.EventPattern).toEqual({ source: Object.values(EVENTS.sources) });
      expect(rule.EventBusName).toEqual(resolve(platform.data.eventBus.eventBusName));
      expect(rule.Targets).toEqual([
        {
          Id: 'Target0',
          Arn: { 'Fn::GetAtt': [stack.getLogicalId(exp.deliveryStream), 'Arn'] },
          RoleArn: { 'Fn::GetAtt': [idOf(exp.ruleRole), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [idOf(exp.deadLetterQueue), 'Arn'] } },
          RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
        },
      ]);
      const statements = Object.values(t.findResources('AWS::IAM::Policy'))
        .filter((p) => same(p.Properties.Roles, [{ Ref: idOf(exp.ruleRole) }]))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
      expect(statements.map((s) => [actionsOf(s), s.Resource])).toEqual([
        [
          ['firehose:PutRecord', 'firehose:PutRecordBatch'],
          { 'Fn::GetAtt': [stack.getLogicalId(exp.deliveryStream), 'Arn'] },
        ],
      ]);
    });

    it("enforces the workgroup's encrypted result location and its per-query scan cutoff", () => {
      t.hasResourceProperties('AWS::Athena::WorkGroup', {
        Name: 'lms-demo-dev-analytics',
        WorkGroupConfiguration: {
          EnforceWorkGroupConfiguration: true,
          PublishCloudWatchMetricsEnabled: true,
          BytesScannedCutoffPerQuery: 10 * 1024 ** 3,
          ResultConfiguration: {
            OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: idOf(stack.resultsBucket) }, '/results/']] },
            EncryptionConfiguration: {
              EncryptionOption: 'SSE_KMS',
              KmsKey: { 'Fn::GetAtt': [keyId, 'Arn'] },
            },
            ExpectedBucketOwner: { Ref: 'AWS::AccountId' },
          },
        },
      });
      expect(bucketProps(idOf(stack.resultsBucket))).toMatchObject({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] },
              },
            },
          ],
        },
        LifecycleConfiguration: {
          Rules: expect.arrayContaining([
            { Id: 'expire-query-results', ExpirationInDays: 30, Status: 'Enabled' },
          ]),
        },
      });
    });

    it("offers analysts a policy for the workgroup, the table, the events' prefix and the results alone", () => {
      const policy = t.toJSON().Resources[idOf(stack.queryPolicy)].Properties;
      const statements = policy.PolicyDocument.Statement as Statement[];
      const bucketArn = { 'Fn::GetAtt': [bucketId, 'Arn'] };
      const resultsArn = { 'Fn::GetAtt': [idOf(stack.resultsBucket), 'Arn'] };
      const arn = (service: string, tail: unknown[]) => ({
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            `:${service}:`,
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ...tail,
          ],
        ],
      });
      const db = exp.databaseName;
      expect(statements.map((s) => [s.Effect, actionsOf(s), resourcesOf(s)])).toEqual([
        [
          'Allow',
          [
            'athena:BatchGetQueryExecution',
            'athena:GetQueryExecution',
            'athena:GetQueryResults',
            'athena:GetWorkGroup',
            'athena:ListQueryExecutions',
            'athena:StartQueryExecution',
            'athena:StopQueryExecution',
          ],
          [arn('athena', [':workgroup/lms-demo-dev-analytics'])],
        ],
        [
          'Allow',
          ['glue:GetDatabase', 'glue:GetPartitions', 'glue:GetTable', 'glue:GetTables'],
          [arn('glue', [':catalog']), arn('glue', [`:database/${db}`]), arn('glue', [`:table/${db}/events`])],
        ],
        ['Allow', ['s3:GetBucketLocation', 's3:ListBucket'], [bucketArn, resultsArn]],
        ['Allow', ['s3:GetObject'], [{ 'Fn::Join': ['', [bucketArn, '/events/*']] }]],
        [
          'Allow',
          ['s3:AbortMultipartUpload', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:PutObject'],
          [{ 'Fn::Join': ['', [resultsArn, '/results/*']] }],
        ],
        ['Allow', ['kms:Decrypt', 'kms:GenerateDataKey'], [{ 'Fn::GetAtt': [keyId, 'Arn'] }]],
      ]);
      // No principal holds it: a fork attaches it to its analysts.
      expect(policy.Roles ?? policy.Users ?? policy.Groups).toBeUndefined();
    });

    it('deletes its data with the stack in dev, where the config does not keep it', () => {
      t.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
      t.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
      t.hasResourceProperties('AWS::Athena::WorkGroup', { RecursiveDeleteOption: true });
    });

    it('carries the platform’s cost allocation tags', () => {
      expect(stack.tags.tagValues()).toMatchObject({
        'lms:institution': 'demo',
        'lms:stage': 'dev',
        'lms:stack': 'analytics',
      });
    });

    it('keeps what EventBridge could not deliver in an encrypted, TLS-only queue only this rule may send to', () => {
      const queueId = idOf(exp.deadLetterQueue);
      expect(t.toJSON().Resources[queueId].Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 60 * 60,
      });
      const policies = Object.values(t.findResources('AWS::SQS::QueuePolicy')).filter((p) =>
        same(p.Properties.Queues, [{ Ref: queueId }]),
      );
      expect(policies).toHaveLength(1);
      const statements = policies[0]!.Properties.PolicyDocument.Statement;
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 'sqs:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
      expect(statements).toContainEqual({
        Sid: expect.any(String),
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [idOf(exp.rule), 'Arn'] } } },
      });
    });

    it("alarms the platform's alarm topic on stale, failed or unconverted deliveries and on dead letters", () => {
      const topicArn = resolve(platform.monitoring.alarmTopic.topicArn);
      const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
      expect(alarms).toHaveLength(4);
      for (const alarm of alarms) {
        expect(alarm.AlarmActions).toEqual([topicArn]);
        expect(alarm.OKActions).toEqual([topicArn]);
        // A quiet bus sends nothing and must not alarm.
        expect(alarm.TreatMissingData).toBe('notBreaching');
      }
      const stream = [{ Name: 'DeliveryStreamName', Value: resolve(exp.deliveryStream.deliveryStreamName) }];
      const watching = (metricName: string) => alarms.find((a) => a.MetricName === metricName);
      // The default buffer (300 s) and 15 minutes.
      expect(watching('DeliveryToS3.DataFreshness')).toMatchObject({
        Namespace: 'AWS/Firehose',
        Dimensions: stream,
        Statistic: 'Maximum',
        Period: 300,
        Threshold: 1200,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
      });
      expect(watching('DeliveryToS3.Success')).toMatchObject({
        Namespace: 'AWS/Firehose',
        Dimensions: stream,
        Statistic: 'Average',
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        EvaluationPeriods: 3,
      });
      expect(watching('FailedConversion.Records')).toMatchObject({
        Namespace: 'AWS/Firehose',
        Dimensions: stream,
        Statistic: 'Sum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
      });
      expect(watching('ApproximateNumberOfMessagesVisible')).toMatchObject({
        Namespace: 'AWS/SQS',
        Dimensions: [
          { Name: 'QueueName', Value: { 'Fn::GetAtt': [idOf(exp.deadLetterQueue), 'QueueName'] } },
        ],
        Statistic: 'Maximum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    });

    it('matches its snapshot', () => {
      expect(t.toJSON()).toMatchSnapshot();
    });

    it('is priced by the cost tool: the key and the alarms by the month, the rest by use', () => {
      const table = loadPriceTable();
      const estimate = estimateCost({
        stacks: [stackTemplate(stack.stackName, 'us-east-1', t.toJSON())],
        table,
        region: 'us-east-1',
        features: { video: false, liveLectures: false },
        ladder: transcodeLadder(),
      });
      expect(estimate.stacks[0]!.items.map((i) => i.type)).toEqual([
        'AWS::KMS::Key',
        ...Array<string>(4).fill('AWS::CloudWatch::Alarm'),
      ]);
      for (const type of [
        'AWS::KinesisFirehose::DeliveryStream',
        'AWS::Glue::Database',
        'AWS::Glue::Table',
        'AWS::Athena::WorkGroup',
        'AWS::Logs::LogStream',
        'AWS::IAM::ManagedPolicy',
        'AWS::SQS::Queue',
      ])
        expect(estimate.noFixedCost.get(type)).toBe(1);
    });
  });

  describe('when on in prod (example-academy)', () => {
    const config = withExport('example-academy', {
      export: { retentionDays: 400, bufferSeconds: 900 },
      athena: { bytesScannedCutoffGiB: 50, resultRetentionDays: 7 },
    });
    const { platform } = platformFor(config);
    const stack = platform.analytics!;
    const t = Template.fromStack(stack);

    it('retains the key, the buckets, the log group and the workgroup’s history', () => {
      t.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
      for (const bucket of Object.values(t.findResources('AWS::S3::Bucket')))
        expect(bucket.DeletionPolicy).toBe('Retain');
      t.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
      t.hasResourceProperties('AWS::Athena::WorkGroup', { RecursiveDeleteOption: false });
    });

    it("takes the config's retention, buffer and scan cutoff", () => {
      const json = t.toJSON().Resources;
      const rules = (b: unknown) =>
        json[stack.getLogicalId((b as { node: { defaultChild: never } }).node.defaultChild)].Properties
          .LifecycleConfiguration.Rules;
      expect(rules(stack.export.bucket)).toContainEqual(
        expect.objectContaining({ Id: 'expire-exported-events', ExpirationInDays: 400 }),
      );
      expect(rules(stack.resultsBucket)).toContainEqual(
        expect.objectContaining({ Id: 'expire-query-results', ExpirationInDays: 7 }),
      );
      t.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
        ExtendedS3DestinationConfiguration: Match.objectLike({
          BufferingHints: { IntervalInSeconds: 900, SizeInMBs: 64 },
        }),
      });
      t.hasResourceProperties('AWS::Athena::WorkGroup', {
        WorkGroupConfiguration: Match.objectLike({ BytesScannedCutoffPerQuery: 50 * 1024 ** 3 }),
      });
      // Stale past the longer buffer and the same 15 minutes.
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'DeliveryToS3.DataFreshness',
        Threshold: 900 + 900,
      });
    });

    it('names what AWS keeps region-wide with the slug and the stage', () => {
      t.hasResourceProperties('AWS::Glue::Database', {
        DatabaseInput: Match.objectLike({ Name: 'lms_example_academy_prod_analytics' }),
      });
      t.hasResourceProperties('AWS::Athena::WorkGroup', { Name: 'lms-example-academy-prod-analytics' });
      t.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
        DeliveryStreamName: 'lms-example-academy-prod-events',
      });
      t.hasResourceProperties('AWS::Events::Rule', { Name: 'lms-example-academy-prod-analytics-export' });
    });
  });

  it('leaves cdk-nag (AwsSolutions) nothing unacknowledged with the export on', () => {
    for (const name of ['default', 'example-academy']) {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      buildPlatform(app, withExport(name));
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      expect(() => app.synth()).not.toThrow();
    }
  });

  it('would fail cdk-nag on a wildcard the export did not explain', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const { analytics } = buildPlatform(app, withExport('default'));
    analytics!.export.role.addToPolicy(
      new PolicyStatement({
        actions: ['s3:DeleteObject'],
        resources: [analytics!.export.bucket.arnForObjects('*')],
      }),
    );
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5/);
  });
});
