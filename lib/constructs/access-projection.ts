import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV, EVENTS } from '#contracts/resources';
import { LmsFunction } from './lms-function';
import { queuedConsumer } from './queued-consumer';

// A batch is at most ten conditional writes; a minute is six times the function's timeout, as Lambda's
// SQS guidance asks, so a message is not redelivered while a slow attempt still runs.
const VISIBILITY_TIMEOUT = Duration.minutes(1);
// Five tries take five minutes: past a throttling spell, so what is left is a bad event, not bad luck.
const MAX_RECEIVES = 5;

export interface AccessProjectionProps {
  /** The platform bus the core publishes its member, content and enrollment facts on. */
  readonly eventBus: IEventBus;
  /** The access projection table (TABLES.access). */
  readonly table: ITable;
  readonly logRetention: RetentionDays;
  /**
   * What happens to the function's log group when the stack is deleted.
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * Keeps the access table current from the core's facts: a rule on the bus queues them, and a function
 * applies each batch, reporting failed messages one by one so only they are retried and dead-lettered.
 */
export class AccessProjection extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly projector: LmsFunction;

  constructor(scope: Construct, id: string, props: AccessProjectionProps) {
    super(scope, id);

    const consumer = queuedConsumer(this, {
      eventBus: props.eventBus,
      consumes: EVENTS.accessConsumes,
      ruleDescription: (source) => `Events of ${source} the access projection keeps`,
      deadLetters: 'the access projection’s queue',
      visibilityTimeout: VISIBILITY_TIMEOUT,
      maxReceives: MAX_RECEIVES,
    });
    this.queue = consumer.queue;
    this.deadLetterQueue = consumer.deadLetterQueue;

    this.projector = new LmsFunction(this, 'Projector', {
      handler: 'access/project-access',
      serviceName: 'access',
      description: 'Applies the core’s member, content and enrollment facts to the access table',
      logRetention: props.logRetention,
      ...(props.logRemovalPolicy ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
    });
    this.projector.bindTable(props.table, ENV.accessTable, 'readWrite');
    consumer.feed(this.projector);
  }
}
