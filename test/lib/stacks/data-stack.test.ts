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

  it('holds the platform’s one event bus, which other stacks’ rules and publishers use', () => {
    dev.template('data').resourceCountIs('AWS::Events::EventBus', 1);
    expect(dev.template('coreService').findResources('AWS::Events::EventBus')).toEqual({});
  });

  it('matches the snapshot', () => {
    expect(dev.template('data').toJSON()).toMatchSnapshot();
  });
});
