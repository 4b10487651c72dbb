import { Duration, Validations } from 'aws-cdk-lib';
import { type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { LmsFunction } from './lms-function';

// The longest SQS keeps a message: time to fix the consumer and redrive the dead letters.
const RETENTION = Duration.days(14);

export interface QueuedConsumerProps {
  /** The platform bus the facts arrive on. */
  readonly eventBus: IEventBus;
  /** What to queue, by source: detail types (an `EVENTS.*Consumes` entry). */
  readonly consumes: Readonly<Record<string, readonly string[]>>;
  /** Each source's rule's description. */
  readonly ruleDescription: (source: string) => string;
  /** Whose dead-letter queue this is, for its cdk-nag acknowledgement. */
  readonly deadLetters: string;
  /** Six times the consumer's timeout, as Lambda's SQS guidance asks. */
  readonly visibilityTimeout: Duration;
  /** How many receives before a message is dead-lettered. */
  readonly maxReceives: number;
}

/** The queue a bus consumer reads, its dead-letter queue, and how a function takes its batches. */
export interface QueuedConsumer {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  /** Hands the queue to `fn` ten messages at a time, failed ones reported one by one. */
  feed(fn: LmsFunction): void;
}

/**
 * Rules on the bus that queue the given facts for a consumer, in `scope` itself (the queues keep the ids they
 * had before this was shared, so deployed queues are not replaced). A delivery EventBridge cannot make, and
 * a message that failed `maxReceives` times, both land in the dead-letter queue.
 */
export function queuedConsumer(scope: Construct, props: QueuedConsumerProps): QueuedConsumer {
  const deadLetterQueue = new Queue(scope, 'DeadLetterQueue', {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: RETENTION,
  });
  Validations.of(deadLetterQueue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This is the dead-letter queue of ${props.deadLetters}.`,
  });
  const queue = new Queue(scope, 'Queue', {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: RETENTION,
    visibilityTimeout: props.visibilityTimeout,
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: props.maxReceives },
  });
  for (const [source, detailTypes] of Object.entries(props.consumes)) {
    new Rule(scope, `Consume-${source}`, {
      eventBus: props.eventBus,
      description: props.ruleDescription(source),
      eventPattern: { source: [source], detailType: [...detailTypes] },
      targets: [new SqsQueue(queue, { deadLetterQueue })],
    });
  }
  return {
    queue,
    deadLetterQueue,
    feed: (fn) =>
      fn.function.addEventSource(new SqsEventSource(queue, { batchSize: 10, reportBatchItemFailures: true })),
  };
}
