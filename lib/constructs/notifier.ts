import { Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import { type ITable, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import {
  ConfigurationSet,
  ConfigurationSetEventDestination,
  EmailSendingEvent,
  EventDestination,
  SuppressionReasons,
} from 'aws-cdk-lib/aws-ses';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { NOTIFICATIONS } from '#contracts/notifications';
import { ENV, EVENTS } from '#contracts/resources';
import { LmsFunction } from './lms-function';
import { queuedConsumer } from './queued-consumer';

// Ten facts a batch; a lecture's or a digest's may reach a few hundred people, each a Cognito read, a few
// DynamoDB writes and an SES call (SES's default rate is 14 a second): minutes at worst. Six times that for
// the queue, as Lambda's SQS guidance asks.
const TIMEOUT = Duration.minutes(5);
const VISIBILITY_TIMEOUT = Duration.minutes(30);
const MAX_RECEIVES = 5;

export interface NotifierEmailProps {
  /** The sender address. */
  readonly from: string;
  readonly fromName?: string;
  readonly replyTo?: string;
  /** The verified SES identity (an address or a domain) covering `from`. */
  readonly sesIdentity: string;
  /** The configuration set's name. */
  readonly configurationSetName: string;
  /** The API's unsubscribe page, without the token. */
  readonly unsubscribeBaseUrl: string;
  /** The web app the e-mails link into. */
  readonly appUrl: string;
}

export interface NotifierProps {
  readonly eventBus: IEventBus;
  /** The notifications table (TABLES.notifications). */
  readonly table: ITable;
  /** The access projection, which says who manages a company or an institution and who learns where. */
  readonly accessTable: ITable;
  /** The pool people's addresses and languages are read from (AdminGetUser on it alone). */
  readonly userPool: IUserPool;
  readonly unsubscribeSecret: ISecret;
  /** E-mail through SES. @default none: notifications stay in the inbox */
  readonly email?: NotifierEmailProps;
  /** The compliance profile's time zone, in which times are written. */
  readonly timeZone: string;
  /** `ko` or `en`, for people whose profile names no language. */
  readonly defaultLocale: 'ko' | 'en';
  readonly logRetention: RetentionDays;
  /**
   * What happens to the functions' log groups when the stack is deleted.
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * Tells people what concerns them: a rule on the bus queues every fact of EVENTS.notificationsConsumes, a
 * function writes each person's notification and sends its e-mail through SES, and SES's bounces and
 * complaints come back through the configuration set to suppress their addresses.
 */
export class Notifier extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly notifier: LmsFunction;
  /** Records SES's bounces and complaints; only with e-mail. */
  public readonly feedback?: LmsFunction;

  constructor(scope: Construct, id: string, props: NotifierProps) {
    super(scope, id);
    const consumer = queuedConsumer(this, {
      eventBus: props.eventBus,
      consumes: EVENTS.notificationsConsumes,
      ruleDescription: (source) => `Facts of ${source} that people are told of`,
      deadLetters: 'the notifier’s queue',
      visibilityTimeout: VISIBILITY_TIMEOUT,
      maxReceives: MAX_RECEIVES,
    });
    this.queue = consumer.queue;
    this.deadLetterQueue = consumer.deadLetterQueue;

    const sender = props.email
      ? props.email.fromName
        ? `"${props.email.fromName.replace(/["\\]/g, '')}" <${props.email.from}>`
        : props.email.from
      : undefined;
    this.notifier = new LmsFunction(this, 'Notifier', {
      handler: 'notifications/notify',
      serviceName: 'notifications',
      description: 'Writes each person’s notification of a fact and sends its e-mail',
      logRetention: props.logRetention,
      timeout: TIMEOUT,
      environment: {
        [ENV.userPoolId]: props.userPool.userPoolId,
        [NOTIFICATIONS.env.unsubscribeSecretArn]: props.unsubscribeSecret.secretArn,
        [NOTIFICATIONS.env.timeZone]: props.timeZone,
        [NOTIFICATIONS.env.defaultLocale]: props.defaultLocale,
        ...(props.email && sender
          ? {
              [NOTIFICATIONS.env.sender]: sender,
              ...(props.email.replyTo ? { [NOTIFICATIONS.env.replyTo]: props.email.replyTo } : {}),
              [NOTIFICATIONS.env.configurationSet]: props.email.configurationSetName,
              [NOTIFICATIONS.env.unsubscribeBaseUrl]: props.email.unsubscribeBaseUrl,
              [NOTIFICATIONS.env.appUrl]: props.email.appUrl,
            }
          : {}),
      },
      ...(props.logRemovalPolicy ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
    });
    // Items by key and the projection's partitions, never an index: imported without them, no index grant.
    const table = TableV2.fromTableArn(this, 'Table', props.table.tableArn);
    this.notifier.bindTable(table, ENV.notificationsTable, 'readWrite');
    this.notifier.bindTable(
      TableV2.fromTableArn(this, 'AccessTable', props.accessTable.tableArn),
      ENV.accessTable,
      'read',
    );
    this.notifier.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['cognito-idp:AdminGetUser'], resources: [props.userPool.userPoolArn] }),
    );
    props.unsubscribeSecret.grantRead(this.notifier.role);
    consumer.feed(this.notifier);

    if (props.email) this.feedback = this.sendEmail(props, props.email);
  }

  /** SES: the configuration set, the right to send as the identity through it, and the bounce loop. */
  private sendEmail(props: NotifierProps, email: NotifierEmailProps): LmsFunction {
    const configurationSet = new ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName: email.configurationSetName,
      // SES's own list, as well as the platform's: neither sends to an address that bounced or complained.
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      reputationMetrics: true,
    });
    const feedbackTopic = new Topic(this, 'FeedbackTopic', { enforceSSL: true });
    Validations.of(feedbackTopic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'SES publishes here and holds no grant on a customer key; the messages are bounce and complaint ' +
        'notices (an address and a message id), and the topic admits TLS only.',
    });
    new ConfigurationSetEventDestination(this, 'FeedbackDestination', {
      configurationSet,
      destination: EventDestination.snsTopic(feedbackTopic),
      events: [EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT],
    });
    const feedback = new LmsFunction(this, 'Feedback', {
      handler: 'notifications/record-email-feedback',
      serviceName: 'notifications',
      description: 'Suppresses the addresses SES reports bounced or complained',
      logRetention: props.logRetention,
      ...(props.logRemovalPolicy ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
    });
    feedback.bindTable(
      TableV2.fromTableArn(this, 'FeedbackTable', props.table.tableArn),
      ENV.notificationsTable,
      'readWrite',
    );
    feedbackTopic.addSubscription(new LambdaSubscription(feedback.function));

    const stack = Stack.of(this);
    this.notifier.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [
          stack.formatArn({ service: 'ses', resource: 'identity', resourceName: email.sesIdentity }),
          stack.formatArn({
            service: 'ses',
            resource: 'configuration-set',
            resourceName: configurationSet.configurationSetName,
          }),
        ],
        // Only as the configured sender, never as another address of a verified domain.
        conditions: { StringEquals: { 'ses:FromAddress': email.from } },
      }),
    );
    return feedback;
  }
}
