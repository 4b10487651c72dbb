import { Match } from 'aws-cdk-lib/assertions';
import { platformFor } from '../platform-fixture';

describe('data stack', () => {
  const dev = platformFor('default');
  const prod = platformFor('example-academy');

  it('runs encrypted PostgreSQL 17, private, with IAM auth and log exports', () => {
    dev.template('data').hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'postgres',
      EngineVersion: '17',
      StorageEncrypted: true,
      PubliclyAccessible: false,
      EnableIAMDatabaseAuthentication: true,
      DBInstanceClass: 'db.t4g.micro',
      AllocatedStorage: '20',
      MaxAllocatedStorage: 100,
      EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
    });
  });

  it('keeps credentials in Secrets Manager and rotates them', () => {
    const t = dev.template('data');
    t.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"lms_admin"}' }),
    });
    t.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
    t.hasResourceProperties('AWS::RDS::DBInstance', {
      MasterUserPassword: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
    });
  });

  it('keeps the service’s own login in a second secret, rotated by itself every 30 days', () => {
    const t = dev.template('data');
    const secrets = Object.entries(t.findResources('AWS::SecretsManager::Secret')).filter(([, r]) =>
      JSON.stringify(r).includes('{\\"username\\":\\"lms_app\\"'),
    );
    expect(secrets).toHaveLength(1);
    // Attached to the instance, so the secret carries host, port and dbname as the master's does.
    const [attachmentId] = Object.entries(
      t.findResources('AWS::SecretsManager::SecretTargetAttachment'),
    ).find(
      ([, a]) =>
        (a as { Properties: { SecretId: { Ref: string } } }).Properties.SecretId.Ref === secrets[0]![0],
    )!;
    const [schedule] = Object.values(
      t.findResources('AWS::SecretsManager::RotationSchedule', {
        Properties: { SecretId: { Ref: attachmentId } },
      }),
    ) as { Properties: { RotationLambdaARN: { 'Fn::GetAtt': [string, string] } } }[];
    expect(schedule).toMatchObject({
      Properties: { RotationRules: { ScheduleExpression: 'rate(30 days)' } },
    });
    // Single-user: the role keeps its name, which a running task read at start.
    const rotation = t.toJSON().Resources[schedule!.Properties.RotationLambdaARN['Fn::GetAtt'][0]];
    const mapping = rotation.Properties.Location.ApplicationId['Fn::FindInMap'][0] as string;
    expect(t.toJSON().Mappings[mapping].aws.applicationId).toMatch(
      /SecretsManagerRDSPostgreSQLRotationSingleUser$/,
    );
  });

  it('protects and retains data in prod, with its backup window and Multi-AZ', () => {
    prod.template('data').hasResource('AWS::RDS::DBInstance', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtection: true, BackupRetentionPeriod: 30, MultiAZ: true }),
    });
    prod.template('data').hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ Replicas: [Match.objectLike({ DeletionProtectionEnabled: true })] }),
    });
  });

  it('lets dev stacks go away with their data', () => {
    dev.template('data').hasResource('AWS::RDS::DBInstance', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtection: false, BackupRetentionPeriod: 7 }),
    });
  });

  it('creates the sign-in state table encrypted, with point-in-time recovery and TTL', () => {
    dev.template('data').hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      Replicas: [
        Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
      ],
    });
  });

  it.each([
    ['board', ['byBoard', 'byAuthor', 'byVideo']],
    ['notes', ['byCourse']],
  ] as const)(
    'creates the %s table with its indexes, encrypted, with point-in-time recovery',
    (name, indexes) => {
      const t = dev.template('data');
      const table = dev.platform.data.tables[name];
      t.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: indexes.map((IndexName) => Match.objectLike({ IndexName })),
        SSESpecification: { SSEEnabled: true },
        Replicas: [
          Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
        ],
      });
      expect(table).toBeDefined();
    },
  );

  it('holds the platform’s one event bus, which other stacks’ rules and publishers use', () => {
    dev.template('data').resourceCountIs('AWS::Events::EventBus', 1);
    expect(dev.template('coreService').findResources('AWS::Events::EventBus')).toEqual({});
  });

  it('keeps the audit trail’s archive in a private, encrypted, TLS-only, versioned bucket that outlives even a dev stack', () => {
    for (const fixture of [dev, prod]) {
      const t = fixture.template('data');
      const id = fixture.platform.data.resolve(fixture.platform.data.auditArchiveBucket.bucketName)
        .Ref as string;
      expect(id).toMatch(/^AuditArchive/);
      const bucket = t.toJSON().Resources[id];
      // Retained whatever retention.keepStatefulData says: an inspector's record.
      expect(bucket).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      expect(bucket.Properties).toMatchObject({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        VersioningConfiguration: { Status: 'Enabled' },
        LoggingConfiguration: { LogFilePrefix: 'audit-archive/' },
      });
      // Nothing expires: no lifecycle rule, and nothing empties it when the stack goes.
      expect(bucket.Properties.LifecycleConfiguration).toBeUndefined();
      expect(
        Object.values(t.findResources('Custom::S3AutoDeleteObjects')).filter(
          (r) => JSON.stringify(r.Properties.BucketName) === JSON.stringify({ Ref: id }),
        ),
      ).toEqual([]);
      t.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('matches the snapshot', () => {
    expect(dev.template('data').toJSON()).toMatchSnapshot();
  });
});
