import { ArnFormat, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { InstanceType, type IVpc, SubnetType } from 'aws-cdk-lib/aws-ec2';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { ManagedPolicy, Role } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  type ISecret,
  Secret,
  SecretRotation,
  SecretRotationApplication,
} from 'aws-cdk-lib/aws-secretsmanager';
import {
  CaCertificate,
  Credentials,
  DatabaseInstance,
  DatabaseSecret,
  DatabaseInstanceEngine,
  PostgresEngineVersion,
  StorageType,
} from 'aws-cdk-lib/aws-rds';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { type CoreTableName, TABLES, type TableName, type TableSpec } from '#contracts/resources';
import type { InstitutionConfig } from '../config/institution-config';
import { accessLogBucket, privateBucket } from '../private-bucket';
import { servicePrincipalFor } from '../service-principal';

export interface DataStackProps extends StackProps {
  readonly vpc: IVpc;
  readonly database: InstitutionConfig['sizing']['database'];
  readonly backupDays: number;
  /** Retain and deletion-protect every store; required in prod by the config schema. */
  readonly keepStatefulData: boolean;
  readonly logRetention: RetentionDays;
}

/**
 * Everything that holds data: PostgreSQL for the relational domain and DynamoDB tables for the Lambdas,
 * and the platform's event bus that every domain publishes to (here, so no stateless stack owns what the
 * others' rules depend on).
 */
export class DataStack extends Stack {
  public readonly database: DatabaseInstance;
  /**
   * The core service's own login role (RDS's JSON: host, port, dbname, username, password). The migration
   * step, as the master user, gives it the service's privileges and this password; the service connects
   * with it and never sees the master secret (service/src/db/app-role.ts).
   */
  public readonly appSecret: ISecret;
  public readonly tables: Record<CoreTableName, TableV2>;
  public readonly eventBus: EventBus;
  /** Certificates of completion (PDF), under `certificates/`; read only through presigned links. */
  public readonly certificatesBucket: Bucket;
  /** The learning audit trail's archived months (Parquet), written and read by the core service. */
  public readonly auditArchiveBucket: Bucket;
  /** The key notification e-mails' unsubscribe links are signed with. */
  public readonly unsubscribeSecret: Secret;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const removalPolicy = props.keepStatefulData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    // Enhanced monitoring's role, assumable only for this account's DB instances (the instance's own ARN
    // would be a cycle: the instance names the role).
    const monitoringRole = new Role(this, 'PostgresMonitoringRole', {
      assumedBy: servicePrincipalFor(
        this,
        'monitoring.rds.amazonaws.com',
        this.formatArn({
          service: 'rds',
          resource: 'db',
          resourceName: '*',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ),
      description: 'Delivers RDS enhanced monitoring metrics of the core database to CloudWatch Logs',
      managedPolicies: [
        ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonRDSEnhancedMonitoringRole'),
      ],
    });
    Validations.of(monitoringRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
      reason: 'The AWS-maintained policy RDS enhanced monitoring requires; it grants only log delivery.',
    });
    this.database = new DatabaseInstance(this, 'Postgres', {
      // Major version only: RDS applies the newest minor and keeps it patched.
      engine: DatabaseInstanceEngine.postgres({ version: PostgresEngineVersion.of('17', '17') }),
      instanceType: new InstanceType(props.database.instanceType),
      vpc: props.vpc,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_ISOLATED },
      credentials: Credentials.fromGeneratedSecret('lms_admin'),
      databaseName: 'lms',
      multiAz: props.database.multiAz,
      storageType: StorageType.GP3,
      allocatedStorage: props.database.allocatedStorageGiB,
      maxAllocatedStorage: props.database.maxAllocatedStorageGiB,
      storageEncrypted: true,
      iamAuthentication: true,
      caCertificate: CaCertificate.RDS_CA_RSA2048_G1,
      autoMinorVersionUpgrade: true,
      backupRetention: Duration.days(props.backupDays),
      deletionProtection: props.keepStatefulData,
      removalPolicy,
      cloudwatchLogsExports: ['postgresql', 'upgrade'],
      cloudwatchLogsRetention: props.logRetention,
      monitoringInterval: Duration.seconds(60),
      monitoringRole,
    });
    // Rotation runs in private subnets with egress so it can reach Secrets Manager.
    const rotationSubnets = { subnetType: SubnetType.PRIVATE_WITH_EGRESS };
    this.database.addRotationSingleUser({
      automaticallyAfter: Duration.days(30),
      vpcSubnets: rotationSubnets,
    });
    this.appSecret = new DatabaseSecret(this, 'AppSecret', {
      username: 'lms_app',
      masterSecret: this.database.secret,
    }).attach(this.database);
    // Single-user: the role changes its own password, so its name stays the one the service was started
    // with (multi-user rotation alternates two names, and a running task's user name is fixed at start).
    new SecretRotation(this, 'AppSecretRotation', {
      application: SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER,
      secret: this.appSecret,
      target: this.database,
      vpc: props.vpc,
      vpcSubnets: rotationSubnets,
      automaticallyAfter: Duration.days(30),
    });
    Validations.of(this.database).acknowledge({
      id: 'AwsSolutions-RDS11',
      reason: 'The default port is kept: the database is reachable only from the VPC, by security group.',
    });
    // CDK's log-retention custom resource sets retention on the log groups RDS creates for its exports.
    const logRetention = this.node.children.find((c) => c.node.id.startsWith('LogRetention'));
    if (logRetention) {
      Validations.of(logRetention).acknowledge(
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason: 'CDK-owned singleton that sets log retention; it runs briefly at deploy time only.',
        },
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason: 'RDS names its log groups at runtime, so the retention setter cannot be scoped to them.',
        },
      );
    }
    if (!props.database.multiAz) {
      Validations.of(this.database).acknowledge({
        id: 'AwsSolutions-RDS3',
        reason: 'Multi-AZ is a sizing choice in the institution config (off for dev).',
      });
    }
    if (!props.keepStatefulData) {
      Validations.of(this.database).acknowledge({
        id: 'AwsSolutions-RDS10',
        reason: 'Deletion protection follows retention.keepStatefulData, which the schema forces on in prod.',
      });
    }

    const tables = {} as Record<CoreTableName, TableV2>;
    for (const [name, spec] of Object.entries(TABLES) as [TableName, TableSpec][]) {
      // A feature's table is its own stack's, there only when the feature is on.
      if (spec.feature) continue;
      const key = (keyName: string) => ({ name: keyName, type: AttributeType.STRING });
      const indexes = Object.entries(spec.indexes ?? {});
      tables[name as CoreTableName] = new TableV2(this, `Table-${name}`, {
        partitionKey: key(spec.partitionKey),
        ...(spec.sortKey ? { sortKey: key(spec.sortKey) } : {}),
        ...(indexes.length > 0
          ? {
              globalSecondaryIndexes: indexes.map(([indexName, index]) => ({
                indexName,
                partitionKey: key(index.partitionKey),
                ...(index.sortKey ? { sortKey: key(index.sortKey) } : {}),
              })),
            }
          : {}),
        ...(spec.timeToLiveAttribute ? { timeToLiveAttribute: spec.timeToLiveAttribute } : {}),
        billing: Billing.onDemand(),
        encryption: TableEncryptionV2.awsManagedKey(),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: props.keepStatefulData,
        removalPolicy,
      });
    }
    this.tables = tables;

    this.eventBus = new EventBus(this, 'EventBus', { description: 'Cross-domain events of the platform' });

    const accessLogs = accessLogBucket(this, removalPolicy);
    this.certificatesBucket = new Bucket(this, 'Certificates', {
      ...privateBucket(removalPolicy),
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'certificates/',
      // A certificate's document is written once; versions keep it if a bug ever wrote over it.
      versioned: true,
    });

    // The learning audit trail's old months, moved out of the database by the core service (one Parquet object
    // a month, checked before its partition is dropped). An inspector's record: kept whatever the stack's
    // retention, versioned so that no write replaces a month's object for good, and never expired.
    this.auditArchiveBucket = new Bucket(this, 'AuditArchive', {
      ...privateBucket(RemovalPolicy.RETAIN),
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'audit-archive/',
      versioned: true,
    });

    this.unsubscribeSecret = new Secret(this, 'UnsubscribeKey', {
      description: 'Signs the unsubscribe links of notification e-mails',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy,
    });
    Validations.of(this.unsubscribeSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Not rotated on a schedule: a new key voids the unsubscribe link of every e-mail already sent. It ' +
        'signs one thing (whose e-mail of which kind to stop); rotate it by hand if it ever leaks.',
    });
  }
}
