import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { LIVE } from '#contracts/live';
import { EVENTS, TABLES } from '#contracts/resources';
import { loadConfig } from '#lib/config/load-config';
import type { EventHandler } from '#lib/constructs/event-handler';
import { LIVE_METRICS } from '#lib/constructs/live-monitoring';
import { buildPlatform } from '#lib/platform';
import { LiveStack, type LiveStackProps } from '#lib/stacks/live-stack';
import { sharedPlatformFor } from '../platform-fixture';
import { FIXTURE_CONFIG_DIR } from '../fixture-configs';

const PREFIX = 'lms-demo-dev';

/** The live stack alone, beside a bus of its own (no bundling: these tests read templates, not code). */
function liveStack(props: Partial<LiveStackProps> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const eventBus = new EventBus(new Stack(app, 'Bus'), 'Bus');
  const playbackBucket = new Bucket(new Stack(app, 'Vod'), 'Renditions');
  const stack = new LiveStack(app, 'Live', {
    eventBus,
    namePrefix: PREFIX,
    logRetention: RetentionDays.ONE_MONTH,
    keepStatefulData: false,
    recording: { retentionDays: 365, playbackBucket },
    ...props,
  });
  return { stack, eventBus, template: Template.fromStack(stack) };
}

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
/** `<type>/*` of the stack's account and region, as a template writes the ARN. */
const arnOf = (service: string, type: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      `:${service}:`,
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:${type}/*`,
    ],
  ],
});
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The statements of every AWS::IAM::Policy attached to a role, by the role's logical id. */
function statementsOf(t: Template, roleId: string): Statement[] {
  return Object.values(t.findResources('AWS::IAM::Policy'))
    .filter((p) => same(p.Properties.Roles, [{ Ref: roleId }]))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

describe('live stack', () => {
  const { stack, template: t } = liveStack();
  const resolve = (v: unknown) => stack.resolve(v);
  const roleOf = (h: { role: unknown }) => stack.getLogicalId((h.role as Stack).node.defaultChild as never);
  const bucketProps = (bucket: unknown) =>
    Object.entries(t.findResources('AWS::S3::Bucket')).find(([id]) => same({ Ref: id }, resolve(bucket)))![1]
      .Properties;
  const recordings = stack.recordings!;

  describe('recordings', () => {
    it('keep recordings in a private, encrypted bucket whose access is logged', () => {
      expect(bucketProps(recordings.bucket.bucketName)).toMatchObject({
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LoggingConfiguration: { DestinationBucketName: resolve(recordings.accessLogBucket.bucketName) },
      });
    });

    it('deny every request without TLS, and allow no one in but CDK’s emptying of a dev bucket', () => {
      for (const bucket of [recordings.bucket, recordings.accessLogBucket]) {
        const policy = Object.values(t.findResources('AWS::S3::BucketPolicy')).find((p) =>
          same(p.Properties.Bucket, resolve(bucket.bucketName)),
        )!.Properties.PolicyDocument.Statement as Record<string, unknown>[];
        expect(policy).toContainEqual({
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          Resource: [resolve(bucket.bucketArn), { 'Fn::Join': ['', [resolve(bucket.bucketArn), '/*']] }],
        });
        const allows = policy.filter((s) => s.Effect === 'Allow');
        for (const s of allows) {
          expect(JSON.stringify(s.Principal)).toMatch(/AutoDeleteObjects|logging\.s3\.amazonaws\.com/);
        }
      }
      // IVS writes with its service-linked role: the recordings bucket's policy names no IVS principal.
      expect(JSON.stringify(t.findResources('AWS::S3::BucketPolicy'))).not.toMatch(/ivs/);
    });

    it('move recordings to Infrequent Access after 30 days and expire them after the configured days', () => {
      expect(bucketProps(recordings.bucket.bucketName).LifecycleConfiguration).toEqual({
        Rules: [
          {
            Id: 'abort-incomplete-multipart-uploads',
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
            Status: 'Enabled',
          },
          {
            Id: 'expire-raw-recordings',
            ExpirationInDays: 365,
            Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
            Status: 'Enabled',
          },
        ],
      });
      // Too short a retention for Standard-IA (S3's 30-day minimum): expiry only.
      const short = liveStack({ recording: { retentionDays: 14 } });
      short.template.hasResourceProperties('AWS::S3::Bucket', {
        LifecycleConfiguration: {
          Rules: Match.arrayWith([{ Id: 'expire-raw-recordings', ExpirationInDays: 14, Status: 'Enabled' }]),
        },
      });
    });

    it('record through an IVS recording configuration into that bucket, without thumbnails', () => {
      t.resourceCountIs('AWS::IVS::RecordingConfiguration', 1);
      t.hasResourceProperties('AWS::IVS::RecordingConfiguration', {
        Name: `${PREFIX}-recordings`,
        DestinationConfiguration: { S3: { BucketName: resolve(recordings.bucket.bucketName) } },
        ThumbnailConfiguration: { RecordingMode: 'DISABLED' },
        RecordingReconnectWindowSeconds: 60,
      });
      expect(resolve(stack.recordingConfigurationArn)).toEqual({
        'Fn::GetAtt': [expect.any(String), 'Arn'],
      });
    });

    it('are left out without recording: no bucket, no configuration, no recording rule', () => {
      const off = liveStack({ recording: undefined });
      expect(off.stack.recordings).toBeUndefined();
      expect(off.stack.recordingConfigurationArn).toBeUndefined();
      expect(off.stack.onRecordingState).toBeUndefined();
      off.template.resourceCountIs('AWS::S3::Bucket', 0);
      off.template.resourceCountIs('AWS::IVS::RecordingConfiguration', 0);
      off.template.resourceCountIs('AWS::Events::Rule', 3);
    });

    it('are retained in prod configs and emptied and deleted in dev ones', () => {
      const prod = liveStack({ keepStatefulData: true });
      expect(
        Object.values(prod.template.findResources('AWS::S3::Bucket')).map((b) => b.DeletionPolicy),
      ).toEqual(['Retain', 'Retain']);
      prod.template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
      expect(Object.values(t.findResources('AWS::S3::Bucket')).map((b) => b.DeletionPolicy)).toEqual([
        'Delete',
        'Delete',
      ]);
    });
  });

  describe('table', () => {
    it('is TABLES.live: string keys, the three indexes of LIVE.indexes, point-in-time recovery, encrypted', () => {
      t.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
      const [table] = Object.values(t.findResources('AWS::DynamoDB::GlobalTable'));
      const props = table!.Properties;
      expect(props.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
      expect(props.GlobalSecondaryIndexes).toEqual([
        {
          IndexName: LIVE.indexes.byProvision,
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: LIVE.indexes.byChannel,
          KeySchema: [{ AttributeName: 'channelArn', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: LIVE.indexes.bySweepState,
          KeySchema: [
            { AttributeName: 'sweepState', KeyType: 'HASH' },
            { AttributeName: 'startsAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ]);
      expect(Object.keys(TABLES.live.indexes).sort()).toEqual(Object.values(LIVE.indexes).sort());
      expect(props.Replicas).toEqual([
        expect.objectContaining({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: false,
        }),
      ]);
      // The AWS managed key, as the data stack's tables.
      expect(props.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
      expect(table!.DeletionPolicy).toBe('Delete');
    });

    it('is retained and protected from deletion in prod configs', () => {
      const prod = liveStack({ keepStatefulData: true }).template;
      const [table] = Object.values(prod.findResources('AWS::DynamoDB::GlobalTable'));
      expect(table!.DeletionPolicy).toBe('Retain');
      expect(table!.Properties.Replicas).toEqual([
        expect.objectContaining({ DeletionProtectionEnabled: true }),
      ]);
    });
  });

  describe('playback key', () => {
    const key = stack.playbackKey;
    const keyRole = roleOf(key.keyFunction);

    it('is made at deploy by a custom resource, into the secret this stack creates', () => {
      t.resourceCountIs('Custom::IvsPlaybackKeyPair', 1);
      t.hasResourceProperties('Custom::IvsPlaybackKeyPair', {
        ServiceToken: resolve(key.keyFunction.function.functionArn),
        SecretArn: resolve(key.secret.secretArn),
        KeyPairName: `${PREFIX}-playback`,
        Tags: { 'lms:live-owner': PREFIX },
        Rotation: '1',
      });
      // The secret starts with a generated placeholder: no key material is in the template.
      t.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: {} });
      expect(JSON.stringify(t.toJSON())).not.toMatch(/PRIVATE KEY/);
      expect(resolve(stack.playbackKey.keyPairArn)).toEqual({
        'Fn::GetAtt': [expect.any(String), 'KeyPairArn'],
      });
    });

    it('rotates when the config’s rotation number is raised', () => {
      liveStack({ playbackKeyRotation: 2 }).template.hasResourceProperties('Custom::IvsPlaybackKeyPair', {
        Rotation: '2',
      });
    });

    it('may write its secret and import, tag and delete this platform’s key pairs, and nothing else', () => {
      const keyPairs = arnOf('ivs', 'playback-key');
      const logs = resolve(key.keyFunction.logGroup.logGroupArn);
      expect(statementsOf(t, keyRole)).toEqual([
        { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: logs },
        { Effect: 'Allow', Action: 'secretsmanager:PutSecretValue', Resource: resolve(key.secret.secretArn) },
        {
          Effect: 'Allow',
          Action: ['ivs:ImportPlaybackKeyPair', 'ivs:TagResource'],
          Resource: keyPairs,
          Condition: {
            StringEquals: { 'aws:RequestTag/lms:live-owner': PREFIX },
            'ForAllValues:StringEquals': { 'aws:TagKeys': ['lms:live-owner'] },
          },
        },
        {
          Effect: 'Allow',
          Action: 'ivs:DeletePlaybackKeyPair',
          Resource: keyPairs,
          Condition: { StringEquals: { 'aws:ResourceTag/lms:live-owner': PREFIX } },
        },
      ]);
      // Its only inline policy is the house X-Ray grant.
      const role = t.toJSON().Resources[keyRole].Properties;
      expect(role.Policies.map((p: { PolicyName: string }) => p.PolicyName)).toEqual(['tracing']);
      expect(role.ManagedPolicyArns).toBeUndefined();
    });
  });

  describe('IVS events and the sweep', () => {
    const handlers: [string, EventHandler][] = [
      ['live/on-stream-state', stack.onStreamState],
      ['live/on-recording-state', stack.onRecordingState!],
      ['live/sweep-lectures', stack.sweep],
    ];
    const ruleOf = (h: EventHandler) =>
      t.toJSON().Resources[stack.getLogicalId(h.rule.node.defaultChild as never)];
    const fnOf = (h: EventHandler) =>
      t.toJSON().Resources[stack.getLogicalId(h.function.function.node.defaultChild as never)];

    it('follow IVS’s stream and recording state changes on the default bus, and sweep every minute', () => {
      t.resourceCountIs('AWS::Events::Rule', 4);
      for (const [, h] of handlers) expect(ruleOf(h).Properties.EventBusName).toBeUndefined();
      expect(ruleOf(stack.release).Properties.ScheduleExpression).toBe('rate(1 hour)');
      expect(ruleOf(stack.onStreamState).Properties.EventPattern).toEqual({
        source: ['aws.ivs'],
        'detail-type': ['IVS Stream State Change'],
        detail: { channel_name: [{ prefix: PREFIX }] },
      });
      expect(ruleOf(stack.onRecordingState!).Properties.EventPattern).toEqual({
        source: ['aws.ivs'],
        'detail-type': ['IVS Recording State Change'],
        detail: { recording_s3_bucket_name: [resolve(recordings.bucket.bucketName)] },
      });
      expect(ruleOf(stack.sweep).Properties.ScheduleExpression).toBe('rate(1 minute)');
    });

    it('run the handler modules by name, each rule targeting its own function', () => {
      for (const [handler, h] of handlers) {
        expect(fnOf(h).Properties.Description).toBeDefined();
        expect(t.toJSON().Resources[roleOf(h.function)].Properties.Description).toBe(`Runs ${handler}`);
        expect(ruleOf(h).Properties.Targets).toEqual([
          expect.objectContaining({ Arn: resolve(h.function.function.functionArn) }),
        ]);
      }
    });

    it('dead-letter what EventBridge cannot deliver and what the handler failed on, in an encrypted queue each', () => {
      const queues = new Set<string>();
      for (const [, h] of handlers) {
        const dlq = resolve(h.deadLetterQueue.queueArn);
        queues.add(JSON.stringify(dlq));
        const [target] = ruleOf(h).Properties.Targets;
        expect(target.DeadLetterConfig).toEqual({ Arn: dlq });
        expect(target.RetryPolicy).toEqual(
          h === stack.sweep
            ? { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 }
            : { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86400 },
        );
        t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
          FunctionName: resolve(h.function.function.functionName),
          MaximumRetryAttempts: h === stack.sweep ? 0 : 2,
          DestinationConfig: { OnFailure: { Destination: dlq } },
        });
      }
      expect(queues.size).toBe(3);
      t.resourceCountIs('AWS::SQS::Queue', 4);
      t.allResourcesProperties('AWS::SQS::Queue', {
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
      expect(stack.deadLetterQueues.map((d) => d.name)).toEqual([
        'LiveStreamStateDeadLetters',
        'LiveRecordingStateDeadLetters',
        'LiveSweepDeadLetters',
        'LiveReleaseDeadLetters',
      ]);
    });

    it('give each handler the live table, the name prefix and the platform bus, and the sweep GetStream only', () => {
      const tableArn = resolve(stack.table.tableArn);
      for (const [, h] of handlers) {
        expect(fnOf(h).Properties.Environment.Variables).toMatchObject({
          [LIVE.env.table]: resolve(stack.table.tableName),
          [LIVE.env.namePrefix]: PREFIX,
          [EVENTS.busNameEnv]: { 'Fn::ImportValue': expect.stringMatching(/^Bus:/) },
          POWERTOOLS_METRICS_NAMESPACE: LIVE_METRICS.namespace,
        });
        const statements = statementsOf(t, roleOf(h.function));
        const dynamo = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
        expect(dynamo.length).toBeGreaterThan(0);
        for (const s of dynamo) {
          expect(s.Resource).toEqual([tableArn, { 'Fn::Join': ['', [tableArn, '/index/*']] }]);
        }
        expect(statements).toContainEqual({
          Effect: 'Allow',
          Action: 'events:PutEvents',
          Resource: { 'Fn::ImportValue': expect.stringMatching(/^Bus:/) },
        });
        const ivs = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('ivs')));
        expect(ivs).toEqual(
          h === stack.sweep
            ? [
                {
                  Effect: 'Allow',
                  Action: 'ivs:GetStream',
                  Resource: arnOf('ivs', 'channel'),
                },
              ]
            : [],
        );
      }
    });

    it('let the hourly release list everything and delete only what carries this platform’s tag', () => {
      const statements = statementsOf(t, roleOf(stack.release.function));
      const ownTag = { StringEquals: { 'aws:ResourceTag/platform': PREFIX } };
      expect(statements.filter((s) => actionsOf(s).some((a) => a.startsWith('ivs')))).toEqual([
        { Effect: 'Allow', Action: ['ivs:ListChannels', 'ivschat:ListRooms'], Resource: '*' },
        {
          Effect: 'Allow',
          Action: 'ivs:DeleteChannel',
          Resource: arnOf('ivs', 'channel'),
          Condition: ownTag,
        },
        {
          Effect: 'Allow',
          Action: 'ivschat:DeleteRoom',
          Resource: arnOf('ivschat', 'room'),
          Condition: ownTag,
        },
      ]);
      // It publishes nothing.
      expect(statements.filter((s) => actionsOf(s).includes('events:PutEvents'))).toEqual([]);
      expect(fnOf(stack.release).Properties.Environment.Variables).toMatchObject({
        [LIVE.env.table]: resolve(stack.table.tableName),
        [LIVE.env.namePrefix]: PREFIX,
      });
    });

    it('let the sweep end within its minute', () => {
      expect(fnOf(stack.sweep).Properties.Timeout).toBe(50);
    });
  });

  it('matches the snapshot', () => {
    expect(t.toJSON()).toMatchSnapshot();
  });
});

describe('live lectures in the platform', () => {
  /** Every IAM statement of every stack of a platform (managed, inline and role policies). */
  function allStatements(stacks: Stack[]): { stack: string; statement: Statement }[] {
    return stacks.flatMap((s) => {
      const resources = Template.fromStack(s).toJSON().Resources as Record<
        string,
        { Type: string; Properties?: Record<string, any> } // eslint-disable-line @typescript-eslint/no-explicit-any
      >;
      return Object.values(resources).flatMap((r) => {
        const docs =
          r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy'
            ? [r.Properties!.PolicyDocument]
            : r.Type === 'AWS::IAM::Role'
              ? (r.Properties!.Policies ?? []).map((p: { PolicyDocument: unknown }) => p.PolicyDocument)
              : [];
        return docs.flatMap((d: { Statement: Statement[] }) =>
          d.Statement.map((statement) => ({ stack: s.stackName, statement })),
        );
      });
    });
  }

  it.each(['default', 'example-academy'])(
    'never grants ivs:* or ivschat:* in any stack (config %s)',
    (name) => {
      const { platform } = sharedPlatformFor(name);
      expect(platform.live).toBeDefined();
      const statements = allStatements(Object.values(platform));
      expect(statements.length).toBeGreaterThan(0);
      const wild = statements.filter(({ statement }) =>
        actionsOf(statement).some((a) => /^ivs(chat)?:\*$|^\*$|^ivs(chat)?:[A-Za-z]*\*/.test(a)),
      );
      expect(wild).toEqual([]);
      // And no IVS action on every resource: each is scoped to a resource type of the account and region,
      // except the two lists the channel release reads, which IAM cannot scope.
      const unscopable = ['ivs:ListChannels', 'ivschat:ListRooms'];
      const ivsOnStar = statements.filter(
        ({ statement }) =>
          actionsOf(statement).some((a) => a.startsWith('ivs') && !unscopable.includes(a)) &&
          JSON.stringify(statement.Resource) === '"*"',
      );
      expect(ivsOnStar).toEqual([]);
    },
  );

  it('is absent when features.liveLectures is off: no live stack, no lecture routes, no live alarms', () => {
    const config = loadConfig('default', FIXTURE_CONFIG_DIR);
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const off = buildPlatform(app, { ...config, features: { ...config.features, liveLectures: false } });
    expect(off.live).toBeUndefined();
    expect('live' in off).toBe(false);
    expect(app.node.tryFindChild('demo-live')).toBeUndefined();
    const keys = Object.values(Template.fromStack(off.api).findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties.RouteKey as string,
    );
    expect(keys.filter((k) => k.includes('/lectures'))).toEqual([]);
    expect(JSON.stringify(Template.fromStack(off.api).toJSON())).not.toMatch(/LIVE_|ivs:/);
    expect(JSON.stringify(Template.fromStack(off.monitoring).toJSON())).not.toMatch(/LMS\/Live|AWS\/IVS/);
  });

  it('alarms on quiz send failures, reconcile errors, every live dead letter and every live function', () => {
    const { live, monitoring } = sharedPlatformFor('default').platform;
    const m = Template.fromStack(monitoring);
    const alarms = Object.values(m.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const topic = monitoring.resolve(monitoring.alarmTopic.topicArn);
    /** The one metric an alarm watches (cdk-monitoring-constructs writes every alarm with `Metrics`). */
    const metricOf = (a: Record<string, any>) => a.Metrics?.[0]?.MetricStat; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const metricName of [LIVE_METRICS.quizSendFailures, LIVE_METRICS.reconcileErrors]) {
      const alarm = alarms.find((a) => metricOf(a)?.Metric.MetricName === metricName)!;
      expect(metricOf(alarm)).toEqual({
        Metric: {
          Namespace: 'LMS/Live',
          MetricName: metricName,
          Dimensions: [{ Name: 'service', Value: 'live' }],
        },
        Period: 300,
        Stat: 'Sum',
      });
      expect(alarm).toMatchObject({
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        TreatMissingData: 'notBreaching',
        AlarmActions: [topic],
      });
    }
    for (const { queue } of live!.deadLetterQueues) {
      const queueName = monitoring.resolve(queue.queueName);
      expect(
        alarms.filter(
          (a) =>
            metricOf(a)?.Metric.MetricName === 'ApproximateNumberOfMessagesVisible' &&
            same(metricOf(a).Metric.Dimensions, [{ Name: 'QueueName', Value: queueName }]),
        ),
      ).toEqual([expect.objectContaining({ Threshold: 0, AlarmActions: [topic] })]);
    }
    for (const fn of live!.functionsForMonitoring) {
      const name = JSON.stringify(monitoring.resolve(fn.function.functionName));
      const on = alarms.filter((a) => JSON.stringify(a.Metrics).includes(name));
      // Errors and throttles, as every platform function.
      expect(on.map((a) => a.AlarmName as string).sort()).toEqual([
        expect.stringMatching(/Fault/),
        expect.stringMatching(/Throttl/),
      ]);
    }
    // IVS's own metrics are on the dashboard: viewers across all channels and per channel.
    const dashboard = JSON.stringify(m.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboard).toMatch(/AWS\/IVS.*ConcurrentViews/);
    expect(dashboard).toMatch(/SEARCH\('\{AWS\/IVS,Channel\} MetricName=[^']*ConcurrentViews/);
    expect(dashboard).toMatch(/ConcurrentStreams/);
  });
});
