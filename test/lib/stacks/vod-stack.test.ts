import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ENV, EVENTS, VOD } from '#contracts/resources';
import { loadConfig, parseConfig } from '#lib/config/load-config';
import { buildPlatform } from '#lib/platform';
import type { ResponseHeadersPolicy } from 'aws-cdk-lib/aws-cloudfront';
import type { VodStack } from '#lib/stacks/vod-stack';
import { sharedPlatformFor } from '../platform-fixture';
import { FIXTURE_CONFIG_DIR } from '../fixture-configs';

type RawConfig = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const raw = (name: string): RawConfig =>
  JSON.parse(readFileSync(join(FIXTURE_CONFIG_DIR, `${name}.json`), 'utf8'));

/** The platform for a config, without bundling (these tests read templates, not code assets). */
function platformOf(config: ReturnType<typeof loadConfig>) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return { app, platform: buildPlatform(app, config) };
}

/** The statements of every AWS::IAM::Policy attached to the role `roleRef` (not its inline policies). */
function statementsOf(t: Template, roleRef: unknown): Record<string, unknown>[] {
  return Object.values(t.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([roleRef]))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

describe('vod stack', () => {
  const { platform } = platformOf(loadConfig('default', FIXTURE_CONFIG_DIR));
  const vod = platform.vod as VodStack;
  const t = Template.fromStack(vod);
  const resolve = (value: unknown) => vod.resolve(value);
  const uploadRef = () => resolve(vod.uploadBucket.bucketName);
  const outputRef = () => resolve(vod.outputBucket.bucketName);
  const bucketProps = (ref: unknown) =>
    Object.entries(t.findResources('AWS::S3::Bucket')).find(([id]) => same({ Ref: id }, ref))![1].Properties;
  const bucketPolicyOf = (ref: unknown) =>
    Object.values(t.findResources('AWS::S3::BucketPolicy')).find((p) => same(p.Properties.Bucket, ref))!
      .Properties.PolicyDocument.Statement as Record<string, unknown>[];
  const signingKeyFunction = () => vod.signingKeys.keyFunction;
  const ruleWithSource = (source: string) =>
    Object.values(t.findResources('AWS::Events::Rule')).find((r) =>
      (r.Properties.EventPattern.source as string[]).includes(source),
    )!.Properties;

  it('exists when features.video is on', () => {
    expect(vod).toBeDefined();
    expect(vod.stackName).toBe('demo-vod');
  });

  describe('buckets', () => {
    it('block all public access on both buckets, so no policy can make them public', () => {
      for (const ref of [uploadRef(), outputRef()]) {
        expect(bucketProps(ref).PublicAccessBlockConfiguration).toEqual({
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        });
      }
    });

    it('encrypt both buckets and log access to them', () => {
      for (const ref of [uploadRef(), outputRef()]) {
        expect(bucketProps(ref)).toMatchObject({
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [
              { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
            ],
          },
          LoggingConfiguration: { DestinationBucketName: resolve(vod.accessLogBucket.bucketName) },
        });
      }
    });

    it('deny every request without TLS, on the bucket and its objects', () => {
      for (const bucket of [vod.uploadBucket, vod.outputBucket]) {
        const bucketArn = bucket.bucketArn;
        expect(bucketPolicyOf(resolve(bucket.bucketName))).toContainEqual({
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          Resource: [resolve(bucketArn), { 'Fn::Join': ['', [resolve(bucketArn), '/*']] }],
        });
      }
    });

    it('grant no one but CloudFront, for this distribution only, any access to the renditions', () => {
      const allows = bucketPolicyOf(outputRef()).filter(
        (s) => s.Effect === 'Allow' && JSON.stringify(s.Principal).includes('cloudfront'),
      );
      expect(allows).toEqual([
        {
          Effect: 'Allow',
          Principal: { Service: 'cloudfront.amazonaws.com' },
          Action: 's3:GetObject',
          Resource: { 'Fn::Join': ['', [resolve(vod.outputBucket.bucketArn), '/*']] },
          Condition: {
            StringEquals: {
              'AWS:SourceArn': {
                'Fn::Join': [
                  '',
                  [
                    'arn:',
                    { Ref: 'AWS::Partition' },
                    ':cloudfront::',
                    { Ref: 'AWS::AccountId' },
                    ':distribution/',
                    resolve(vod.distribution.distributionId),
                  ],
                ],
              },
            },
          },
        },
      ]);
      // Apart from CloudFront, only CDK's emptying of a disposable (dev) bucket is allowed in.
      const otherAllows = bucketPolicyOf(outputRef()).filter(
        (s) => s.Effect === 'Allow' && !JSON.stringify(s.Principal).includes('cloudfront'),
      );
      for (const s of otherAllows) {
        expect(JSON.stringify(s.Principal)).toMatch(/AutoDeleteObjects/);
      }
    });

    it('aborts incomplete multipart uploads after the configured days', () => {
      expect(bucketProps(uploadRef()).LifecycleConfiguration).toEqual({
        Rules: [
          {
            Id: 'abort-incomplete-multipart-uploads',
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
            Status: 'Enabled',
          },
          {
            Id: 'archive-source-videos',
            Prefix: 'videos/',
            Status: 'Enabled',
            Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 30 }],
          },
        ],
      });
      const custom = raw('default');
      custom.video = { abortIncompleteUploadDays: 2 };
      const { platform: other } = platformOf(parseConfig(custom));
      Template.fromStack(other.vod!).hasResourceProperties('AWS::S3::Bucket', {
        LifecycleConfiguration: {
          Rules: [
            Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 } }),
            Match.objectLike({ Id: 'archive-source-videos' }),
          ],
        },
      });
    });

    it('lets the web apps upload parts from the browser and read their ETags', () => {
      expect(bucketProps(uploadRef()).CorsConfiguration).toEqual({
        CorsRules: [
          {
            AllowedOrigins: ['http://localhost:5173', 'http://localhost:3000'],
            AllowedMethods: ['PUT', 'GET', 'HEAD'],
            AllowedHeaders: ['*'],
            ExposedHeaders: ['ETag'],
            MaxAge: 3600,
          },
        ],
      });
      expect(bucketProps(outputRef()).CorsConfiguration).toBeUndefined();
    });

    it('sends the upload bucket’s events to EventBridge directly, without a notifications Lambda', () => {
      expect(bucketProps(uploadRef()).NotificationConfiguration).toEqual({
        EventBridgeConfiguration: { EventBridgeEnabled: true },
      });
      t.resourceCountIs('Custom::S3BucketNotifications', 0);
    });

    it('retains the buckets in prod and lets dev ones go', () => {
      const prod = Template.fromStack(sharedPlatformFor('example-academy').platform.vod!);
      expect(Object.values(prod.findResources('AWS::S3::Bucket')).map((b) => b.DeletionPolicy)).toEqual([
        'Retain',
        'Retain',
        'Retain',
      ]);
      prod.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
      expect(Object.values(t.findResources('AWS::S3::Bucket')).map((b) => b.DeletionPolicy)).toEqual([
        'Delete',
        'Delete',
        'Delete',
      ]);
    });
  });

  describe('MediaConvert', () => {
    const queueArn = () => resolve(vod.mediaConvertQueueArn);

    it('runs the pipeline’s jobs in a queue of its own, on demand, not the account’s shared Default', () => {
      const queues = Object.entries(t.findResources('AWS::MediaConvert::Queue'));
      expect(queues).toHaveLength(1);
      const [[queueId, queue]] = queues as [[string, { Properties: Record<string, unknown> }]];
      expect(queue.Properties).toMatchObject({ PricingPlan: 'ON_DEMAND', Status: 'ACTIVE' });
      expect(queueArn()).toEqual({ 'Fn::GetAtt': [queueId, 'Arn'] });
      expect(JSON.stringify(t.toJSON())).not.toMatch(/queues\/Default/);
    });

    it('gives MediaConvert’s role exactly: read videos/ of the uploads, write hls/ of the renditions', () => {
      const roles = Object.entries(t.findResources('AWS::IAM::Role')).filter(([, r]) =>
        JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('mediaconvert.amazonaws.com'),
      );
      expect(roles).toHaveLength(1);
      const [[roleId, role]] = roles as [[string, { Properties: Record<string, unknown> }]];
      expect(role.Properties.AssumeRolePolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'mediaconvert.amazonaws.com' },
            Action: 'sts:AssumeRole',
            // Only for jobs of the pipeline's queue, in this account: no other queue's job may use it.
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': queueArn() },
            },
          },
        ],
      });
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties.Policies).toEqual([
        {
          PolicyName: 'transcode',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: 's3:GetObject',
                Resource: { 'Fn::Join': ['', [resolve(vod.uploadBucket.bucketArn), '/videos/*']] },
              },
              {
                Effect: 'Allow',
                Action: 's3:PutObject',
                Resource: { 'Fn::Join': ['', [resolve(vod.outputBucket.bucketArn), '/hls/*']] },
              },
            ],
          },
        },
      ]);
      // Nothing else is attached to it.
      expect(statementsOf(t, { Ref: roleId })).toEqual([]);
    });
  });

  describe('start-transcode', () => {
    const fn = () => vod.startTranscode;

    it('knows the buckets, the MediaConvert role, its tables, the bus and the monthly budget', () => {
      t.hasResourceProperties('AWS::Lambda::Function', {
        Role: resolve(fn().role.roleArn),
        Environment: {
          Variables: Match.objectLike({
            [VOD.env.uploadBucket]: uploadRef(),
            [VOD.env.outputBucket]: outputRef(),
            [VOD.env.mediaConvertRoleArn]: resolve(vod.mediaConvertRole.roleArn),
            [VOD.env.mediaConvertQueueArn]: resolve(vod.mediaConvertQueueArn),
            [ENV.idempotencyTable]: Match.objectLike({ 'Fn::ImportValue': Match.anyValue() }),
            [ENV.accessTable]: resolve(platform.data.tables.access.tableName),
            [EVENTS.busNameEnv]: resolve(platform.data.eventBus.eventBusName),
            // The config's default.
            [VOD.env.monthlyTranscodeMinutes]: '10000',
          }),
        },
      });
    });

    it('may count minutes in the access table (items only) and put video.failed on the bus only', () => {
      const statements = statementsOf(t, resolve(fn().role.roleName));
      const accessArn = resolve(platform.data.tables.access.tableArn);
      expect(statements.filter((s) => JSON.stringify(s).includes(JSON.stringify(accessArn)))).toEqual([
        {
          Effect: 'Allow',
          Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
          Resource: accessArn,
        },
      ]);
      expect(statements.filter((s) => JSON.stringify(s.Action).includes('events:'))).toEqual([
        {
          Effect: 'Allow',
          Action: 'events:PutEvents',
          Resource: resolve(platform.data.eventBus.eventBusArn),
        },
      ]);
    });

    it('may probe, create jobs in the pipeline’s queue and pass only MediaConvert’s role, only to MediaConvert', () => {
      const statements = statementsOf(t, resolve(fn().role.roleName));
      const mediaConvert = statements.filter((s) => JSON.stringify(s.Action).includes('mediaconvert:'));
      expect(mediaConvert).toEqual([
        {
          Effect: 'Allow',
          Action: 'mediaconvert:CreateJob',
          Resource: resolve(vod.mediaConvertQueueArn),
        },
        // Probe has no resource-level permissions.
        { Effect: 'Allow', Action: 'mediaconvert:Probe', Resource: '*' },
      ]);
      const iam = statements.filter((s) => JSON.stringify(s.Action).includes('iam:'));
      expect(iam).toEqual([
        {
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: resolve(vod.mediaConvertRole.roleArn),
          Condition: { StringEquals: { 'iam:PassedToService': 'mediaconvert.amazonaws.com' } },
        },
      ]);
      // Probe reads the upload with this function's role (its request names none): the videos only, read
      // only. Jobs read and write with MediaConvert's own role.
      expect(statements.filter((s) => JSON.stringify(s.Action).includes('s3:'))).toEqual([
        {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: {
            'Fn::Join': ['', [resolve(vod.uploadBucket.bucketArn), `/${VOD.uploadPrefixes.video}*`]],
          },
        },
      ]);
    });

    it('is the target of Object Created events under videos/ of the upload bucket, with a DLQ and retries', () => {
      const rule = ruleWithSource('aws.s3');
      expect(rule.EventPattern).toEqual({
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: {
          bucket: { name: [uploadRef()] },
          object: { key: [{ prefix: VOD.uploadPrefixes.video }] },
        },
      });
      expect(rule.Targets).toEqual([
        {
          Id: expect.any(String),
          Arn: resolve(fn().function.functionArn),
          DeadLetterConfig: { Arn: resolve(vod.transcodeDeadLetterQueue.queueArn) },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86400 },
        },
      ]);
    });

    it('sends events the handler failed on, after Lambda’s retries, to the same dead-letter queue', () => {
      t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: resolve(fn().function.functionName),
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: resolve(vod.transcodeDeadLetterQueue.queueArn) } },
      });
    });
  });

  describe('publish-job-state', () => {
    const fn = () => vod.publishJobState;

    it('publishes to the platform bus, and may put events there only', () => {
      const busArn = resolve(platform.data.eventBus.eventBusArn);
      t.hasResourceProperties('AWS::Lambda::Function', {
        Role: resolve(fn().role.roleArn),
        Environment: {
          Variables: Match.objectLike({ [EVENTS.busNameEnv]: resolve(platform.data.eventBus.eventBusName) }),
        },
      });
      const statements = statementsOf(t, resolve(fn().role.roleName));
      expect(statements.filter((s) => JSON.stringify(s.Action).includes('events:'))).toEqual([
        { Effect: 'Allow', Action: 'events:PutEvents', Resource: busArn },
      ]);
      expect(busArn).toEqual({ 'Fn::ImportValue': expect.stringContaining('EventBus') });
    });

    it('may read and update items of the access table, to give a failed job’s minutes back', () => {
      const accessArn = resolve(platform.data.tables.access.tableArn);
      t.hasResourceProperties('AWS::Lambda::Function', {
        Role: resolve(fn().role.roleArn),
        Environment: {
          Variables: Match.objectLike({ [ENV.accessTable]: resolve(platform.data.tables.access.tableName) }),
        },
      });
      const statements = statementsOf(t, resolve(fn().role.roleName));
      expect(statements.filter((s) => JSON.stringify(s.Action).includes('dynamodb:'))).toEqual([
        { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Resource: accessArn },
      ]);
    });

    it('receives this platform’s completed or failed MediaConvert jobs, with a DLQ', () => {
      const rule = ruleWithSource('aws.mediaconvert');
      expect(rule.EventPattern).toEqual({
        source: ['aws.mediaconvert'],
        'detail-type': ['MediaConvert Job State Change'],
        detail: {
          status: ['COMPLETE', 'ERROR'],
          userMetadata: {
            contentId: [{ exists: true }],
            sourceKey: [{ prefix: VOD.uploadPrefixes.video }],
            uploadBucket: [uploadRef()],
          },
        },
      });
      expect(rule.Targets).toHaveLength(1);
      expect(rule.Targets[0]).toMatchObject({
        Arn: resolve(fn().function.functionArn),
        DeadLetterConfig: { Arn: resolve(vod.jobStateDeadLetterQueue.queueArn) },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86400 },
      });
      t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: resolve(fn().function.functionName),
        DestinationConfig: { OnFailure: { Destination: resolve(vod.jobStateDeadLetterQueue.queueArn) } },
      });
    });

    it('lets EventBridge, for its own rules only, write to the dead-letter queues', () => {
      for (const [queue, source] of [
        [vod.transcodeDeadLetterQueue, 'aws.s3'],
        [vod.jobStateDeadLetterQueue, 'aws.mediaconvert'],
      ] as const) {
        const ruleId = Object.entries(t.findResources('AWS::Events::Rule')).find(([, r]) =>
          (r.Properties.EventPattern.source as string[]).includes(source),
        )![0];
        t.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [resolve(queue.queueUrl)],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Allow',
                Principal: { Service: 'events.amazonaws.com' },
                Action: 'sqs:SendMessage',
                Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
              }),
            ]),
          },
        });
      }
    });
  });

  it('keeps dead letters encrypted, TLS only, for 14 days', () => {
    t.resourceCountIs('AWS::SQS::Queue', 2);
    t.allResourcesProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 60 * 60,
    });
  });

  describe('playback', () => {
    it('serves the renditions over HTTPS only, through origin access control', () => {
      const oac = new Capture();
      t.hasResourceProperties('AWS::CloudFront::Distribution', {
        DistributionConfig: Match.objectLike({
          Origins: [
            Match.objectLike({
              DomainName: { 'Fn::GetAtt': [Match.anyValue(), 'RegionalDomainName'] },
              OriginAccessControlId: { 'Fn::GetAtt': [oac, 'Id'] },
              S3OriginConfig: { OriginAccessIdentity: '' },
            }),
          ],
          DefaultCacheBehavior: Match.objectLike({
            ViewerProtocolPolicy: 'https-only',
            AllowedMethods: ['GET', 'HEAD'],
          }),
        }),
      });
      expect(t.toJSON().Resources[oac.asString()]).toMatchObject({
        Type: 'AWS::CloudFront::OriginAccessControl',
        Properties: {
          OriginAccessControlConfig: {
            OriginAccessControlOriginType: 's3',
            SigningBehavior: 'always',
            SigningProtocol: 'sigv4',
          },
        },
      });
      t.resourceCountIs('AWS::CloudFront::CloudFrontOriginAccessIdentity', 0);
    });

    it('accepts only requests signed with the generated key, whose public half the custom resource returns', () => {
      const [[keyGroupId, keyGroup]] = Object.entries(t.findResources('AWS::CloudFront::KeyGroup'));
      const [[publicKeyId, publicKey]] = Object.entries(t.findResources('AWS::CloudFront::PublicKey'));
      const [[signingKeyId, signingKey]] = Object.entries(t.findResources('Custom::CloudFrontSigningKey'));
      expect(keyGroup!.Properties.KeyGroupConfig.Items).toEqual([{ Ref: publicKeyId }]);
      expect(publicKey!.Properties.PublicKeyConfig.EncodedKey).toEqual({
        'Fn::GetAtt': [signingKeyId, 'PublicKeyPem'],
      });
      expect(signingKey!.Properties).toEqual({
        ServiceToken: resolve(signingKeyFunction().function.functionArn),
        ServiceTimeout: '300',
        SecretArn: resolve(vod.signingKeySecret.secretArn),
      });
      t.hasResourceProperties('AWS::CloudFront::Distribution', {
        DistributionConfig: Match.objectLike({
          DefaultCacheBehavior: Match.objectLike({ TrustedKeyGroups: [{ Ref: keyGroupId }] }),
        }),
      });
      expect(resolve(vod.signingKeyPairId)).toEqual({ Ref: publicKeyId });
    });

    describe('signing key rotation (config video.signingKeys)', () => {
      const withKeys = (signingKeys: { trusted: number[]; signWith: number }) => {
        const config = raw('default');
        config.video = { signingKeys };
        const { platform: p } = platformOf(parseConfig(config));
        return { p, vod: p.vod!, t: Template.fromStack(p.vod!) };
      };
      /** The logical ids and properties of a generation's secret, custom resource and public key. */
      const generationIn = (s: { vod: VodStack; t: Template }, generation: number) => {
        const g = s.vod.signingKeys.generations.get(generation)!;
        const idOf = (c: { node: { defaultChild?: unknown } }) =>
          s.vod.getLogicalId(c.node.defaultChild as never);
        const keyPair = s.vod.signingKeys.node.findChild(`SigningKey${generation}`) as never as {
          node: { defaultChild: unknown };
        };
        return [idOf(g.secret), idOf(keyPair), idOf(g.publicKey)].map((id) => [
          id,
          s.t.toJSON().Resources[id],
        ]);
      };
      const keyGroupItems = (t: Template) =>
        Object.values(t.findResources('AWS::CloudFront::KeyGroup')).map(
          (k) => k.Properties.KeyGroupConfig.Items,
        );
      /** The playback route's signing key settings, as its function's environment has them. */
      const signerOf = (p: ReturnType<typeof withKeys>['p']) => {
        const fn = p.api.functions.find((f) => f.node.id === 'Route-startPlayback')!;
        const id = p.api.getLogicalId(fn.function.node.defaultChild as never);
        const env = Template.fromStack(p.api).toJSON().Resources[id].Properties.Environment.Variables;
        return { secret: env[VOD.env.signingKeySecretArn], keyPairId: env[VOD.env.signingKeyPairId] };
      };
      const signerIs = (p: ReturnType<typeof withKeys>['p'], generation: number) => {
        const g = p.vod!.signingKeys.generations.get(generation)!;
        return {
          secret: p.api.resolve(g.secret.secretArn),
          keyPairId: p.api.resolve(g.publicKey.publicKeyId),
        };
      };
      const current = withKeys({ trusted: [1], signWith: 1 });
      const next = withKeys({ trusted: [1, 2], signWith: 1 });
      const switched = withKeys({ trusted: [1, 2], signWith: 2 });
      const retired = withKeys({ trusted: [2], signWith: 2 });

      it('trusts and signs with generation 1 unless the config says otherwise', () => {
        expect(keyGroupItems(current.t)).toEqual([[{ Ref: generationIn(current, 1)[2]![0] }]]);
        expect(signerOf(current.p)).toEqual(signerIs(current.p, 1));
      });

      it('first trusts the next key beside the current one, which keeps signing and stays as it was', () => {
        expect(keyGroupItems(next.t)).toEqual([
          [{ Ref: generationIn(next, 1)[2]![0] }, { Ref: generationIn(next, 2)[2]![0] }],
        ]);
        next.t.resourceCountIs('Custom::CloudFrontSigningKey', 2);
        next.t.resourceCountIs('AWS::SecretsManager::Secret', 2);
        // Generation 1's secret, key pair and public key are the very resources of before: nothing replaces
        // the key that signed the cookies learners hold.
        expect(generationIn(next, 1)).toEqual(generationIn(current, 1));
        expect(signerOf(next.p)).toEqual(signerIs(next.p, 1));
      });

      it('then signs with the next key while both stay trusted', () => {
        expect(keyGroupItems(switched.t)).toEqual(keyGroupItems(next.t));
        expect(signerOf(switched.p)).toEqual(signerIs(switched.p, 2));
        expect(signerOf(switched.p)).not.toEqual(signerOf(next.p));
        // Only the signer's secret is readable by the route.
        const readers = JSON.stringify(Template.fromStack(switched.p.api).findResources('AWS::IAM::Policy'));
        expect(readers).toContain(JSON.stringify(signerIs(switched.p, 2).secret));
        expect(readers).not.toContain(
          JSON.stringify(
            switched.p.api.resolve(switched.vod.signingKeys.generations.get(1)!.secret.secretArn),
          ),
        );
      });

      it('exports every trusted key, so the api stack can move to the next in a deploy of its own', () => {
        const exportsOf = (s: { t: Template }) =>
          Object.values(s.t.toJSON().Outputs as Record<string, { Export?: { Name: string } }>)
            .map((o) => o.Export?.Name)
            .filter((name) => name && /SigningKeys/.test(name))
            .sort();
        // Two generations, a secret ARN and a key id each: the same exports before and after the switch, so
        // the vod stack's update never removes one the api stack still imports.
        expect(exportsOf(next)).toHaveLength(4);
        expect(exportsOf(switched)).toEqual(exportsOf(next));
        expect(exportsOf(current)).toHaveLength(2);
        expect(exportsOf(next)).toEqual(expect.arrayContaining(exportsOf(current)));
        expect(exportsOf(retired)).toEqual(
          exportsOf(next).filter((name) => !exportsOf(current).includes(name)),
        );
      });

      it('finally stops trusting the old key, leaving the new one as it was', () => {
        expect(keyGroupItems(retired.t)).toEqual([[{ Ref: generationIn(retired, 2)[2]![0] }]]);
        retired.t.resourceCountIs('Custom::CloudFrontSigningKey', 1);
        expect(generationIn(retired, 2)).toEqual(generationIn(switched, 2));
      });

      it('refuses to sign with a key the distribution does not trust', () => {
        expect(() => withKeys({ trusted: [1], signWith: 2 })).toThrow(
          /video.signingKeys: signWith must be one of the trusted generations/,
        );
      });
    });

    it('never puts a private key in the template', () => {
      expect(JSON.stringify(t.toJSON())).not.toMatch(/PRIVATE KEY/);
      t.hasResourceProperties('AWS::SecretsManager::Secret', {
        SecretString: Match.absent(),
      });
    });

    it('lets the generating function read and write the key’s secret only', () => {
      const statements = statementsOf(t, resolve(signingKeyFunction().role.roleName));
      const secretStatements = statements.filter((s) => JSON.stringify(s.Action).includes('secretsmanager:'));
      expect(secretStatements.length).toBeGreaterThan(0);
      for (const s of secretStatements) expect(s.Resource).toEqual(resolve(vod.signingKeySecret.secretArn));
    });

    it('answers the web apps’ origins with credentials, and sends security headers', () => {
      t.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
        ResponseHeadersPolicyConfig: Match.objectLike({
          CorsConfig: Match.objectLike({
            AccessControlAllowCredentials: true,
            AccessControlAllowOrigins: { Items: ['http://localhost:5173', 'http://localhost:3000'] },
            AccessControlAllowMethods: { Items: ['GET', 'HEAD'] },
            OriginOverride: true,
          }),
          SecurityHeadersConfig: Match.objectLike({
            StrictTransportSecurity: Match.objectLike({ Override: true }),
            ContentTypeOptions: { Override: true },
            FrameOptions: { FrameOption: 'DENY', Override: true },
          }),
        }),
      });
      t.hasResourceProperties('AWS::CloudFront::Distribution', {
        DistributionConfig: Match.objectLike({
          DefaultCacheBehavior: Match.objectLike({
            ResponseHeadersPolicyId: resolve(
              (vod.node.findChild('PlaybackHeaders') as ResponseHeadersPolicy).responseHeadersPolicyId,
            ),
          }),
        }),
      });
    });
  });

  describe('monitoring', () => {
    const monitoringStack = platform.monitoring;
    const monitoring = Template.fromStack(monitoringStack);
    type MetricQuery = { MetricStat?: { Metric: { Dimensions?: unknown } } };
    /** Alarms whose metric (plain, or inside metric math) is the given CloudWatch metric. */
    const alarmsOn = (tpl: Template, namespace: string, metricName: string) =>
      Object.values(tpl.findResources('AWS::CloudWatch::Alarm')).filter((a) =>
        [
          { Namespace: a.Properties.Namespace, MetricName: a.Properties.MetricName },
          ...((a.Properties.Metrics ?? []) as { MetricStat?: { Metric: Record<string, unknown> } }[]).map(
            (m) => m.MetricStat?.Metric ?? {},
          ),
        ].some((m) => m.Namespace === namespace && m.MetricName === metricName),
      );
    /** The dimensions of an alarm's metric, wherever the alarm holds it. */
    const dimensionsOf = (alarm: { [key: string]: { Dimensions?: unknown; Metrics?: MetricQuery[] } }) =>
      alarm.Properties!.Dimensions ??
      alarm.Properties!.Metrics?.find((m) => m.MetricStat)?.MetricStat!.Metric.Dimensions;

    it('alarms on Lambda errors of both pipeline functions', () => {
      const names = Object.values(monitoring.findResources('AWS::CloudWatch::Alarm')).map(
        (a) => a.Properties.AlarmName as string,
      );
      expect(names).toEqual(
        expect.arrayContaining([
          'lms-demo-dev-StartTranscode-Function-Fault-Count-Critical',
          'lms-demo-dev-PublishJobState-Function-Fault-Count-Critical',
        ]),
      );
    });

    it('alarms on any errored MediaConvert job of the pipeline’s queue', () => {
      const alarms = alarmsOn(monitoring, 'AWS/MediaConvert', 'JobsErroredCount');
      expect(alarms).toHaveLength(1);
      expect(alarms[0]!.Properties).toMatchObject({
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        DatapointsToAlarm: 1,
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
      expect(JSON.stringify(alarms[0]!.Properties.Metrics)).toContain('"Stat":"Sum"');
      expect(dimensionsOf(alarms[0]!)).toEqual([
        { Name: 'Queue', Value: monitoringStack.resolve(vod.mediaConvertQueueArn) },
      ]);
    });

    it('alarms on any dead letter of the pipeline', () => {
      for (const queue of [vod.transcodeDeadLetterQueue, vod.jobStateDeadLetterQueue]) {
        const queueName = monitoringStack.resolve(queue.queueName);
        const alarms = alarmsOn(monitoring, 'AWS/SQS', 'ApproximateNumberOfMessagesVisible').filter((a) =>
          same(dimensionsOf(a), [{ Name: 'QueueName', Value: queueName }]),
        );
        expect(alarms).toHaveLength(1);
        expect(alarms[0]!.Properties).toMatchObject({
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          DatapointsToAlarm: 1,
        });
      }
    });

    it('charts the distribution from us-east-1, where CloudFront publishes its metrics', () => {
      const body = JSON.stringify(
        Object.values(monitoring.findResources('AWS::CloudWatch::Dashboard')).map(
          (d) => d.Properties.DashboardBody,
        ),
      );
      expect(body).toMatch(/AWS\/CloudFront.*5xxErrorRate/);
      expect(body).toMatch(/\\"region\\":\\"us-east-1\\"/);
    });

    it('alarms on the distribution’s 5xx rate only where the alarm can see the metric: in us-east-1', () => {
      expect(alarmsOn(monitoring, 'AWS/CloudFront', '5xxErrorRate')).toEqual([]);
      const prodMonitoring = Template.fromStack(sharedPlatformFor('example-academy').platform.monitoring);
      expect(alarmsOn(prodMonitoring, 'AWS/CloudFront', '5xxErrorRate')).toEqual([]);

      const inUsEast1 = raw('example-academy');
      Object.assign(inUsEast1, { region: 'us-east-1', availabilityZones: ['us-east-1a', 'us-east-1b'] });
      const usEast1 = Template.fromStack(platformOf(parseConfig(inUsEast1)).platform.monitoring);
      const [alarm, ...others] = alarmsOn(usEast1, 'AWS/CloudFront', '5xxErrorRate');
      expect(others).toEqual([]);
      expect(alarm!.Properties).toMatchObject({ Threshold: 5, ComparisonOperator: 'GreaterThanThreshold' });
      expect(dimensionsOf(alarm!)).toEqual(expect.arrayContaining([{ Name: 'Region', Value: 'Global' }]));
    });
  });

  it('is absent, with its alarms, when features.video is off', () => {
    const config = raw('default');
    config.features.video = false;
    const { app, platform: without } = platformOf(parseConfig(config));
    expect('vod' in without).toBe(false);
    expect(app.node.children.map((c) => c.node.id)).not.toContain('demo-vod');
    const monitoring = Template.fromStack(without.monitoring);
    expect(JSON.stringify(monitoring.toJSON())).not.toMatch(/MediaConvert|CloudFront|StartTranscode/);
  });

  describe('playback host', () => {
    /** The rule ids acknowledged on the distribution itself. */
    const acknowledgedOn = (stack: VodStack) =>
      stack.distribution.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) => Object.keys(m.data as object))
        .map((key) => key.replace(/^Annotation::/, ''));

    it('is the cloudfront.net name without a domain, whose TLS policy is acknowledged as fixed', () => {
      expect(resolve(vod.playbackUrl)).toEqual({
        'Fn::Join': ['', ['https://', resolve(vod.distribution.distributionDomainName)]],
      });
      const config = t.findResources('AWS::CloudFront::Distribution');
      expect(Object.values(config)[0]!.Properties.DistributionConfig.Aliases).toBeUndefined();
      t.resourceCountIs('AWS::Route53::RecordSet', 0);
      expect(acknowledgedOn(vod)).toContain('AwsSolutions-CFR4');
    });

    describe('with a domain', () => {
      // example-academy sets domain academy.example.com, zone Z0123456789ABCDEFGHIJ.
      const { platform: prod } = sharedPlatformFor('example-academy');
      const withDomain = prod.vod!;
      const d = Template.fromStack(withDomain);
      const distributionConfig = () =>
        Object.values(d.findResources('AWS::CloudFront::Distribution'))[0]!.Properties.DistributionConfig;

      it('serves video.<domain> with the edge stack’s certificate and TLS 1.2 (2021) at least', () => {
        expect(distributionConfig().Aliases).toEqual(['video.academy.example.com']);
        expect(distributionConfig().ViewerCertificate).toEqual({
          AcmCertificateArn: withDomain.resolve(prod.edge!.playbackCertificate!.certificateArn),
          MinimumProtocolVersion: 'TLSv1.2_2021',
          SslSupportMethod: 'sni-only',
        });
      });

      it('points A and AAAA aliases of video.<domain> at the distribution, in the configured zone', () => {
        d.resourceCountIs('AWS::Route53::RecordSet', 2);
        for (const type of ['A', 'AAAA']) {
          d.hasResourceProperties('AWS::Route53::RecordSet', {
            Type: type,
            Name: 'video.academy.example.com.',
            HostedZoneId: 'Z0123456789ABCDEFGHIJ',
            AliasTarget: Match.objectLike({
              DNSName: withDomain.resolve(withDomain.distribution.distributionDomainName),
            }),
          });
        }
      });

      it('publishes https://video.<domain> as the playback URL', () => {
        expect(withDomain.playbackUrl).toBe('https://video.academy.example.com');
        expect(d.toJSON().Outputs.PlaybackUrl.Value).toBe('https://video.academy.example.com');
      });

      it('passes cdk-nag with no acknowledgement of the TLS policy', () => {
        expect(acknowledgedOn(withDomain)).not.toContain('AwsSolutions-CFR4');
        expect(new AwsSolutionsChecks().validateScope(withDomain).violations).toEqual([]);
      });
    });
  });

  it('matches the snapshot', () => {
    expect(t.toJSON()).toMatchSnapshot();
  });
});
