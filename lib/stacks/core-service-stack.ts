import {
  CfnOutput,
  type CfnResource,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Token,
  Validations,
} from 'aws-cdk-lib';
import { type IVpc, Peer, Port, SecurityGroup, SubnetType } from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import {
  AwsLogDriverMode,
  Cluster,
  ContainerImage,
  ContainerInsights,
  CpuArchitecture,
  FargateService,
  FargateTaskDefinition,
  LogDrivers,
  OperatingSystemFamily,
  Secret as EcsSecret,
} from 'aws-cdk-lib/aws-ecs';
import {
  type ApplicationListener,
  ApplicationLoadBalancer,
  ApplicationProtocol,
  ApplicationTargetGroup,
  TargetType,
} from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import type { IDatabaseInstance } from 'aws-cdk-lib/aws-rds';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, type IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Trigger } from 'aws-cdk-lib/triggers';
import type { Construct } from 'constructs';
import { CORE_SERVICE, ENV, EVENTS } from '#contracts/resources';
import { COMPLIANCE_PROFILE_ENV, type ComplianceProfile } from '#contracts/compliance-profiles';
import type { InstitutionConfig } from '../config/institution-config';
import { LmsFunction } from '../constructs/lms-function';
import { nagResource } from '../nag-resource';
import { PaceSchedule } from '../constructs/pace-schedule';
import { REPO_ROOT } from '../paths';
import { ACCESS_LOG_DAYS } from '../private-bucket';

// Scale out fast for enrolment peaks; scale in slowly so a short lull does not drop warm tasks.
const SCALE_OUT_COOLDOWN = Duration.seconds(60);
const SCALE_IN_COOLDOWN = Duration.minutes(5);
// Requests are short REST calls, so 15 s drains a task; the 300 s default only slows every rollout.
const DEREGISTRATION_DELAY = Duration.seconds(15);
// Two checks 15 s apart: a new task takes traffic about 30 s after start, a dead one leaves within 30 s.
const HEALTH_CHECK_INTERVAL = Duration.seconds(15);
// Migrations run before new tasks start; a long one must not be cut short by the trigger's 2 min default.
const MIGRATION_TIMEOUT = Duration.minutes(5);
// How long CloudFormation waits for the trigger's answer: the migration's timeout, the trigger's own retries
// while a new role's permissions propagate (up to a minute) and a margin, instead of the default hour.
const MIGRATION_SERVICE_TIMEOUT = Duration.minutes(10);
// ALB access logs are for incident forensics; after 90 days they only cost money.
// An event is handled in milliseconds; a minute covers a slow database before SQS redelivers it.
const EVENT_VISIBILITY_TIMEOUT = Duration.minutes(1);
// Five tries take five minutes: past a restart or failover, so what is left is a bad event, not bad luck.
const EVENT_MAX_RECEIVES = 5;
// The longest SQS keeps a message: time to fix the consumer and redrive the dead letters.
const EVENT_RETENTION = Duration.days(14);

export interface CoreServiceStackProps extends StackProps {
  readonly vpc: IVpc;
  readonly database: IDatabaseInstance;
  /** The database's master secret (RDS's JSON: host, port, dbname, username, password): migrations only. */
  readonly databaseSecret: ISecret;
  /** The service's own login role's secret, in the same JSON; its role is made by the migration step. */
  readonly appSecret: ISecret;
  readonly sizing: InstitutionConfig['sizing']['service'];
  readonly logRetention: RetentionDays;
  /** Keep the service's log groups (and ALB access logs) when the stack is deleted. */
  readonly keepStatefulData: boolean;
  /** The user pool's provider name (`cognito-idp.<region>.amazonaws.com/<pool id>`), the token issuer's host. */
  readonly userPoolProviderName: string;
  /** The platform bus: the service publishes its outbox there and consumes other domains' events from it. */
  readonly eventBus: IEventBus;
  /** The training regime's rules the service enforces (progress credit, daily cap, exams). */
  readonly compliance: ComplianceProfile;
  /** The web app's origins, the only ones whose cookie-authenticated writes the service accepts. */
  readonly allowedOrigins: readonly string[];
  /** The audit trail's archive bucket (the data stack's): the service writes old months there and reads them. */
  readonly auditArchiveBucket: IBucket;
  /** Months of the audit trail kept in the database (`audit.archive.keepMonths`); 0 archives nothing. */
  readonly auditArchiveKeepMonths: number;
}

/**
 * The relational core REST service: one container on Fargate behind an internal ALB, reachable only
 * through API Gateway's VPC link (wired in the api stack), with the database's migrations applied at
 * deploy by a one-off Lambda before any new task starts.
 */
export class CoreServiceStack extends Stack {
  public readonly cluster: Cluster;
  public readonly service: FargateService;
  public readonly loadBalancer: ApplicationLoadBalancer;
  /** Plain HTTP on port 80; see the constructor for why there is no TLS here. */
  public readonly listener: ApplicationListener;
  public readonly targetGroup: ApplicationTargetGroup;
  /** The ALB's security group: the api stack allows its VPC link here. Nothing else may reach the ALB. */
  public readonly albSecurityGroup: SecurityGroup;
  /** Applies database migrations; runs at deploy time when its code or migrations change. */
  public readonly migration: LmsFunction;
  /** The events the service consumes, filled by a rule on the platform bus. */
  public readonly eventsQueue: Queue;
  public readonly eventsDeadLetterQueue: Queue;
  /** The daily pace scan's trigger, which the rule above queues for the service like any event. */
  public readonly paceSchedule: PaceSchedule;

  constructor(scope: Construct, id: string, props: CoreServiceStackProps) {
    super(scope, id, props);
    const { vpc, database, databaseSecret, appSecret, sizing } = props;
    const removalPolicy = props.keepStatefulData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const privateSubnets = { subnetType: SubnetType.PRIVATE_WITH_EGRESS };
    const issuer = `https://${props.userPoolProviderName}`;

    // --- Migrations: a one-off step at deploy, before the service's new tasks start.
    const migrationSecurityGroup = new SecurityGroup(this, 'MigrationSecurityGroup', {
      vpc,
      description: 'Database migration step',
      allowAllOutbound: false,
    });
    allowHttpsOut(migrationSecurityGroup, 'Secrets Manager');
    this.migration = new LmsFunction(this, 'Migration', {
      handler: 'db/migrate-handler',
      codeRoot: 'service/src',
      serviceName: 'core',
      description: 'Applies the core database migrations at deploy time',
      logRetention: props.logRetention,
      logRemovalPolicy: removalPolicy,
      timeout: MIGRATION_TIMEOUT,
      vpc,
      vpcSubnets: privateSubnets,
      securityGroups: [migrationSecurityGroup],
      copyFiles: [{ from: 'service/migrations', to: 'migrations' }],
      environment: {
        [CORE_SERVICE.env.databaseSecretArn]: databaseSecret.secretArn,
        [CORE_SERVICE.env.appSecretArn]: appSecret.secretArn,
        // Node 20+ runtimes trust only Mozilla's CAs unless told to load Lambda's bundle, which has RDS's.
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      },
    });
    databaseSecret.grantRead(this.migration.function);
    appSecret.grantRead(this.migration.function);
    allowToDatabase(migrationSecurityGroup, database, 'Migration step');

    // --- Events: the outbox relay publishes to the bus; a rule queues what the service consumes.
    this.eventsDeadLetterQueue = new Queue(this, 'EventsDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: EVENT_RETENTION,
    });
    Validations.of(this.eventsDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This is the dead-letter queue of the service’s events queue; an alarm watches it.',
    });
    this.eventsQueue = new Queue(this, 'EventsQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: EVENT_RETENTION,
      visibilityTimeout: EVENT_VISIBILITY_TIMEOUT,
      deadLetterQueue: { queue: this.eventsDeadLetterQueue, maxReceiveCount: EVENT_MAX_RECEIVES },
    });
    for (const [source, detailTypes] of Object.entries(EVENTS.coreConsumes)) {
      new Rule(this, `Consume-${source}`, {
        eventBus: props.eventBus,
        description: `Events of ${source} the core service consumes`,
        eventPattern: { source: [source], detailType: [...detailTypes] },
        // A delivery EventBridge cannot make lands in the dead-letter queue too, where the alarm sees it.
        targets: [new SqsQueue(this.eventsQueue, { deadLetterQueue: this.eventsDeadLetterQueue })],
      });
    }
    this.paceSchedule = new PaceSchedule(this, 'PaceSchedule', {
      eventBus: props.eventBus,
      timeZone: props.compliance.timeZone,
      deadLetterQueue: this.eventsDeadLetterQueue,
    });

    // --- The service.
    this.cluster = new Cluster(this, 'Cluster', {
      vpc,
      containerInsightsV2: ContainerInsights.ENABLED,
    });
    const taskDefinition = new FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: sizing.cpu,
      memoryLimitMiB: sizing.memoryMiB,
      runtimePlatform: {
        cpuArchitecture: CpuArchitecture.ARM64,
        operatingSystemFamily: OperatingSystemFamily.LINUX,
      },
    });
    const logGroup = new LogGroup(this, 'ServiceLogs', { retention: props.logRetention, removalPolicy });
    const secretField = (field: string) => EcsSecret.fromSecretsManager(appSecret, field);
    const container = taskDefinition.addContainer('core', {
      // The Dockerfile bundles service/src/main.ts with esbuild; no Docker engine is needed to synth.
      image: ContainerImage.fromAsset(REPO_ROOT, {
        file: 'service/Dockerfile',
        platform: Platform.LINUX_ARM64,
      }),
      portMappings: [{ containerPort: CORE_SERVICE.port }],
      readonlyRootFilesystem: true,
      // The official Node image's unprivileged user, as in service/Dockerfile.
      user: 'node',
      logging: LogDrivers.awsLogs({
        logGroup,
        streamPrefix: 'core',
        // A slow CloudWatch must never block request handling; the buffer absorbs bursts.
        mode: AwsLogDriverMode.NON_BLOCKING,
      }),
      environment: {
        [ENV.tokenIssuer]: issuer,
        [ENV.tokenJwksUri]: `${issuer}/.well-known/jwks.json`,
        [EVENTS.busNameEnv]: props.eventBus.eventBusName,
        [CORE_SERVICE.env.eventsQueueUrl]: this.eventsQueue.queueUrl,
        [CORE_SERVICE.env.databaseSecretArn]: appSecret.secretArn,
        [COMPLIANCE_PROFILE_ENV]: JSON.stringify(props.compliance),
        [ENV.appOrigins]: props.allowedOrigins.join(','),
        [CORE_SERVICE.env.auditArchiveBucket]: props.auditArchiveBucket.bucketName,
        [CORE_SERVICE.env.auditArchiveKeepMonths]: String(props.auditArchiveKeepMonths),
        NODE_OPTIONS: '--enable-source-maps',
      },
      // Injected at task start from the service's own login role's secret (never the master user's); never
      // in the task definition itself. The password
      // is not: it rotates every 30 days, so the service reads it from the secret for each new connection.
      secrets: {
        [CORE_SERVICE.env.databaseHost]: secretField('host'),
        [CORE_SERVICE.env.databasePort]: secretField('port'),
        [CORE_SERVICE.env.databaseName]: secretField('dbname'),
        [CORE_SERVICE.env.databaseUser]: secretField('username'),
      },
    });
    // The root filesystem is read-only; libraries that write temporary files get a scratch volume.
    taskDefinition.addVolume({ name: 'tmp' });
    container.addMountPoints({ sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false });
    Validations.of(taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'Only public settings are plain environment (token issuer and JWKS URLs, Node options); ' +
        'database credentials are ECS secrets from Secrets Manager.',
    });
    Validations.of(taskDefinition.obtainExecutionRole()).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken, which ECS needs to pull the image, has no resource-level permissions.',
    });

    const serviceSecurityGroup = new SecurityGroup(this, 'ServiceSecurityGroup', {
      vpc,
      description: 'Core service tasks: HTTP from the load balancer only',
      allowAllOutbound: false,
    });
    allowHttpsOut(
      serviceSecurityGroup,
      'Cognito JWKS, ECR, Secrets Manager, CloudWatch Logs, EventBridge, SQS',
    );
    props.eventBus.grantPutEventsTo(taskDefinition.taskRole);
    this.eventsQueue.grantConsumeMessages(taskDefinition.taskRole);
    appSecret.grantRead(taskDefinition.taskRole);
    this.grantAuditArchive(taskDefinition, props.auditArchiveBucket);
    this.service = new FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition,
      // No desired count: CloudFormation would set it again on every deploy, dropping a service that auto
      // scaling has scaled out back to the floor in the middle of a peak. Left out, a new service starts
      // at one task and registering the scalable target below raises it to minTasks at once; later deploys
      // keep whatever count is running.
      vpcSubnets: privateSubnets,
      assignPublicIp: false,
      securityGroups: [serviceSecurityGroup],
      // Rolling deploys never drop below full capacity, and a failing release rolls itself back.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
    });
    allowToDatabase(serviceSecurityGroup, database, 'Core service');
    const scaling = this.service.autoScaleTaskCount({
      minCapacity: sizing.minTasks,
      maxCapacity: sizing.maxTasks,
    });
    scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: sizing.targetCpuPercent,
      scaleOutCooldown: SCALE_OUT_COOLDOWN,
      scaleInCooldown: SCALE_IN_COOLDOWN,
    });

    // Every deploy whose migration bundle (code or SQL files) changed runs it once, and the service switches
    // to its new task definition only afterwards. A failure fails and rolls back the deploy while the old
    // tasks keep serving. Old tasks also run against the new schema during a rollout: migrations must be
    // backward compatible (expand, then contract in a later release).
    const migrate = new Trigger(this, 'Migrate', {
      handler: this.migration.function,
      executeOnHandlerChange: true,
      timeout: MIGRATION_TIMEOUT,
      // The database must be up, and this stack's own rule must let the step reach it, before it runs.
      executeAfter: [database, migrationSecurityGroup, this.migration],
      executeBefore: [this.service],
    });
    // Trigger takes no service timeout of its own; its custom resource is the child CDK names Default.
    const migrateResource = migrate.node.findChild('Default').node.defaultChild as CfnResource;
    migrateResource.addPropertyOverride('ServiceTimeout', String(MIGRATION_SERVICE_TIMEOUT.toSeconds()));

    // --- The internal load balancer, the VPC link's target.
    this.albSecurityGroup = new SecurityGroup(this, 'AlbSecurityGroup', {
      vpc,
      description: 'Core service load balancer: reachable only from the API VPC link',
      allowAllOutbound: false,
    });
    this.loadBalancer = new ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc,
      internetFacing: false,
      vpcSubnets: privateSubnets,
      securityGroup: this.albSecurityGroup,
      dropInvalidHeaderFields: true,
    });
    this.logAccess(removalPolicy);
    this.targetGroup = new ApplicationTargetGroup(this, 'TargetGroup', {
      vpc,
      targetType: TargetType.IP,
      protocol: ApplicationProtocol.HTTP,
      port: CORE_SERVICE.port,
      deregistrationDelay: DEREGISTRATION_DELAY,
      healthCheck: {
        path: CORE_SERVICE.livenessPath,
        interval: HEALTH_CHECK_INTERVAL,
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 2,
      },
      // Allows the ALB→task rule on the service's security group, and only that.
      targets: [this.service],
    });
    // HTTP, not HTTPS: clients speak TLS to API Gateway, which ends it; the VPC link then carries requests
    // inside AWS's network to this internal ALB. HTTPS here would need a certificate for a DNS name that
    // the VPC link verifies, i.e. a custom domain, which dev institutions do not have. `open: false` keeps
    // the listener closed to everyone until the api stack allows its VPC link on albSecurityGroup.
    this.listener = this.loadBalancer.addListener('Http', {
      protocol: ApplicationProtocol.HTTP,
      port: 80,
      open: false,
      defaultTargetGroups: [this.targetGroup],
    });

    // The deploy workflow waits on these for the service to be stable (`aws ecs wait services-stable`).
    new CfnOutput(this, 'ClusterName', { value: this.cluster.clusterName });
    new CfnOutput(this, 'ServiceName', { value: this.service.serviceName });
  }

  /**
   * The archive's objects, written once a month and read by range, and the listing that makes a missing
   * object a 404 rather than a 403 (the archiver tells "not written yet" from "refused" by it). Nothing else:
   * no delete, no overwrite of another prefix. The bucket is S3-managed encrypted, so there is no key to grant.
   */
  private grantAuditArchive(taskDefinition: FargateTaskDefinition, bucket: IBucket): void {
    // Through a named export, so the acknowledgement below names the ARN as cdk-nag reads it here.
    const bucketArn = Stack.of(bucket).exportValue(bucket.bucketArn);
    const objects = `${bucketArn}/${CORE_SERVICE.auditArchivePrefix}*`;
    taskDefinition.taskRole.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:PutObject', 's3:GetObject'], resources: [objects] }),
    );
    taskDefinition.taskRole.addToPrincipalPolicy(
      // Unconditioned: S3 decides 404 or 403 for a GetObject by this permission, in a request that has no
      // s3:prefix for a condition to test. The bucket holds the archive only.
      new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucketArn] }),
    );
    Validations.of(taskDefinition.taskRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResource(this, objects)}]`,
      reason: `One object a month under ${CORE_SERVICE.auditArchivePrefix}month=YYYY-MM/, named when the month is archived.`,
    });
  }

  /**
   * Access logs need the regional ELB log-delivery account in the bucket policy, which only a stack bound
   * to a region knows; an environment-agnostic synth (local and dev configs) goes without.
   */
  private logAccess(removalPolicy: RemovalPolicy): void {
    if (Token.isUnresolved(this.region)) {
      Validations.of(this.loadBalancer).acknowledge({
        id: 'AwsSolutions-ELB2',
        reason:
          'Environment-agnostic synth: ELB log delivery needs a known region. ' +
          'Set account and region in the institution config to get access logs.',
      });
      return;
    }
    const bucket = new Bucket(this, 'AccessLogs', {
      // ALB log delivery supports only S3-managed keys, not KMS.
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(ACCESS_LOG_DAYS) }],
      removalPolicy,
      // A bucket with objects cannot be deleted, so a disposable stack empties it first.
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket holds access logs itself; logging access to it would only log the log delivery.',
    });
    this.loadBalancer.logAccessLogs(bucket, 'core-alb');
  }
}

/**
 * AWS APIs and Cognito's JWKS are HTTPS endpoints: public ones reached through the NAT gateways, or the
 * VPC's interface endpoints where the config has them (S3 always by its gateway endpoint).
 */
function allowHttpsOut(group: SecurityGroup, what: string): void {
  group.addEgressRule(Peer.anyIpv4(), Port.tcp(443), `HTTPS to ${what}`);
}

/**
 * Lets `source` reach PostgreSQL. Written from the source's side on purpose: the ingress rule then lives in
 * this stack, while `database.connections.allowDefaultPortFrom(source)` would put it in the data stack,
 * which would then depend on this one (a cycle, since this stack uses the database). The port is a literal
 * because the data stack keeps PostgreSQL's default (see its RDS11 acknowledgement); the database's own
 * `defaultPort` is a deploy-time token that would need one more cross-stack reference.
 */
function allowToDatabase(source: SecurityGroup, database: IDatabaseInstance, description: string): void {
  source.connections.allowTo(database, Port.POSTGRES, description);
}
