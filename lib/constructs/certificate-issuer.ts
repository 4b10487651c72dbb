import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import { type ITable, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CERTIFICATES } from '#contracts/certificates';
import { ENV, EVENTS } from '#contracts/resources';
import { exportedBucketArn } from '../exported-arn';
import { LmsFunction } from './lms-function';
import { queuedConsumer } from './queued-consumer';

// Ten completions a batch, each a Cognito read, a render (about a second for the first of an environment,
// a tenth after) and a PutObject; six times that for the queue, as Lambda's SQS guidance asks.
const TIMEOUT = Duration.minutes(1);
const VISIBILITY_TIMEOUT = Duration.minutes(6);
const MAX_RECEIVES = 5;
// Rendering shapes Hangul text with the whole font parsed in memory; 512 MB also buys the CPU it needs.
const MEMORY_MB = 512;

export interface CertificateIssuerProps {
  /** The platform bus the core publishes completions on, and certificate.issued goes back to. */
  readonly eventBus: IEventBus;
  /** The certificates table (TABLES.certificates). */
  readonly table: ITable;
  /** The private bucket the documents are kept in, under `certificates/`. */
  readonly bucket: IBucket;
  /** The pool the learners' names are read from (AdminGetUser on it alone). */
  readonly userPool: IUserPool;
  /** The verification page, without the number: what each document's QR code opens. */
  readonly verifyBaseUrl: string;
  readonly logRetention: RetentionDays;
  /**
   * What happens to the function's log group when the stack is deleted.
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * Gives every completion its certificate: a rule on the bus queues `enrollment.completed`, and a function
 * numbers it, renders its document into the bucket and says `certificate.issued`, reporting failed messages
 * one by one so only they are retried and dead-lettered.
 */
export class CertificateIssuer extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly issuer: LmsFunction;

  constructor(scope: Construct, id: string, props: CertificateIssuerProps) {
    super(scope, id);

    const consumer = queuedConsumer(this, {
      eventBus: props.eventBus,
      consumes: EVENTS.certificatesConsumes,
      ruleDescription: (source) => `Completions of ${source}, each given a certificate`,
      deadLetters: 'the certificate issuer’s queue',
      visibilityTimeout: VISIBILITY_TIMEOUT,
      maxReceives: MAX_RECEIVES,
    });
    this.queue = consumer.queue;
    this.deadLetterQueue = consumer.deadLetterQueue;

    this.issuer = new LmsFunction(this, 'Issuer', {
      handler: 'certificates/issue-certificates',
      serviceName: 'certificates',
      description: 'Numbers each completion’s certificate, renders its PDF and keeps it',
      logRetention: props.logRetention,
      timeout: TIMEOUT,
      memorySize: MEMORY_MB,
      copyFiles: Object.values(CERTIFICATES.fontFiles),
      environment: {
        [ENV.userPoolId]: props.userPool.userPoolId,
        [CERTIFICATES.env.bucket]: props.bucket.bucketName,
        [CERTIFICATES.env.verifyBaseUrl]: props.verifyBaseUrl,
        [EVENTS.busNameEnv]: props.eventBus.eventBusName,
      },
      ...(props.logRemovalPolicy ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
    });
    // Its items by key only, never the indexes the routes query: imported without them, the grant has none.
    const table = TableV2.fromTableArn(this, 'Table', props.table.tableArn);
    this.issuer.bindTable(table, ENV.certificatesTable, 'readWrite');
    this.issuer.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['cognito-idp:AdminGetUser'], resources: [props.userPool.userPoolArn] }),
    );
    const bucketArn = exportedBucketArn(props.bucket, 'CertificatesBucketArn');
    this.issuer.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [`${bucketArn.arn}/${CERTIFICATES.keyPrefix}*`],
      }),
    );
    Validations.of(this.issuer.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${bucketArn.exportName}/${CERTIFICATES.keyPrefix}*]`,
      reason: 'Each certificate is its own object under the certificates prefix, named by its number.',
    });
    props.eventBus.grantPutEventsTo(this.issuer.role);
    consumer.feed(this.issuer);
  }
}
