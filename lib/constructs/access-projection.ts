import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV, EVENTS } from '#contracts/resources';
import { LmsFunction } from './lms-function';

// A batch is at most ten conditional writes; a minute is six times the function's timeout, as Lambda's
// SQS guidance asks, so a message is not redelivered while a slow attempt still runs.
const VISIBILITY_TIMEOUT = Duration.minutes(1);
// Five tries take five minutes: past a throttling spell, so what is left is a bad event, not bad luck.
const MAX_RECEIVES = 5;
// The longest SQS keeps a message: time to fix the consumer and redrive the dead letters.
const RETENTION = Duration.days(14);

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

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: RETENTION,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This is the dead-letter queue of the access projection’s queue.',
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: RETENTION,
      visibilityTimeout: VISIBILITY_TIMEOUT,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVES },
    });
    for (const [source, detailTypes] of Object.entries(EVENTS.accessConsumes)) {
      new Rule(this, `Consume-${source}`, {
        eventBus: props.eventBus,
        description: `Events of ${source} the access projection keeps`,
        eventPattern: { source: [source], detailType: [...detailTypes] },
        // A delivery EventBridge cannot make lands in the dead-letter queue too, beside the failed ones.
        targets: [new SqsQueue(this.queue, { deadLetterQueue: this.deadLetterQueue })],
      });
    }

    this.projector = new LmsFunction(this, 'Projector', {
      handler: 'access/project-access',
      serviceName: 'access',
      description: 'Applies the core’s member, content and enrollment facts to the access table',
      logRetention: props.logRetention,
      ...(props.logRemovalPolicy ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
    });
    this.projector.bindTable(props.table, ENV.accessTable, 'readWrite');
    this.projector.function.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true }),
    );
  }
}
