import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV, EVENTS } from '#contracts/resources';
import { LmsFunction } from './lms-function';
import { queuedConsumer } from './queued-consumer';

// A batch is ten facts, each a few Cognito calls one after another; six times the function's timeout, as
// Lambda's SQS guidance asks, so a message is not redelivered while a slow attempt still runs.
const TIMEOUT = Duration.seconds(30);
const VISIBILITY_TIMEOUT = Duration.minutes(3);
// Five tries, spread over a quarter of an hour: past Cognito's throttling, so what is left is a bad event.
const MAX_RECEIVES = 5;

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

    const consumer = queuedConsumer(this, {
      eventBus: props.eventBus,
      consumes: EVENTS.usersConsumes,
      ruleDescription: (source) => `Member facts of ${source} that Cognito groups follow`,
      deadLetters: 'the group sync’s queue',
      visibilityTimeout: VISIBILITY_TIMEOUT,
      maxReceives: MAX_RECEIVES,
    });
    this.queue = consumer.queue;
    this.deadLetterQueue = consumer.deadLetterQueue;

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
    consumer.feed(this.syncer);
  }
}
