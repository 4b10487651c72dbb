import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV, EVENTS } from '#contracts/resources';
import { LmsFunction } from './lms-function';

// A batch is ten facts, each a few Cognito calls one after another; six times the function's timeout, as
// Lambda's SQS guidance asks, so a message is not redelivered while a slow attempt still runs.
const TIMEOUT = Duration.seconds(30);
const VISIBILITY_TIMEOUT = Duration.minutes(3);
// Five tries, spread over a quarter of an hour: past Cognito's throttling, so what is left is a bad event.
const MAX_RECEIVES = 5;
// The longest SQS keeps a message: time to fix the consumer and redrive the dead letters.
const RETENTION = Duration.days(14);

export interface GroupSyncProps {
  /** The platform bus the core publishes its member facts on. */
  readonly eventBus: IEventBus;
  /** The users table (TABLES.users): the newest member fact per person and scope. */
  readonly table: ITable;
  /** The pool whose groups follow memberships; the function may change this pool's groups and sessions only. */
  readonly userPool: IUserPool;
  readonly logRetention: RetentionDays;
  /**
   * What happens to the function's log group when the stack is deleted.
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * Keeps Cognito groups in step with the core's memberships: a rule on the bus queues the member facts, and a
 * function applies each batch, reporting failed messages one by one so only they are retried and
 * dead-lettered.
 */
export class GroupSync extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly syncer: LmsFunction;

  constructor(scope: Construct, id: string, props: GroupSyncProps) {
    super(scope, id);

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: RETENTION,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This is the dead-letter queue of the group sync’s queue.',
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: RETENTION,
      visibilityTimeout: VISIBILITY_TIMEOUT,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVES },
    });
    for (const [source, detailTypes] of Object.entries(EVENTS.usersConsumes)) {
      new Rule(this, `Consume-${source}`, {
        eventBus: props.eventBus,
        description: `Member facts of ${source} that Cognito groups follow`,
        eventPattern: { source: [source], detailType: [...detailTypes] },
        // A delivery EventBridge cannot make lands in the dead-letter queue too, beside the failed ones.
        targets: [new SqsQueue(this.queue, { deadLetterQueue: this.deadLetterQueue })],
      });
    }

    this.syncer = new LmsFunction(this, 'Syncer', {
      handler: 'users/sync-groups',
      serviceName: 'users',
      description: 'Adds and removes Cognito groups as the core’s memberships change',
      logRetention: props.logRetention,
      timeout: TIMEOUT,
      environment: { [ENV.userPoolId]: props.userPool.userPoolId },
      ...(props.logRemovalPolicy ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
    });
    this.syncer.bindTable(props.table, ENV.usersTable, 'readWrite');
    this.syncer.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'cognito-idp:AdminAddUserToGroup',
          'cognito-idp:AdminRemoveUserFromGroup',
          'cognito-idp:AdminUserGlobalSignOut',
        ],
        resources: [props.userPool.userPoolArn],
      }),
    );
    this.syncer.function.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true }),
    );
  }
}
