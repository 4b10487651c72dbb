import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { type EventPattern, Rule, type Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LmsFunction } from './lms-function';

// Long enough to fix a broken handler and redrive; SQS keeps a message at most 14 days.
const DEAD_LETTER_RETENTION = Duration.days(14);

/** How hard EventBridge and Lambda try before an event is dead-lettered. */
export interface EventRetryPolicy {
  /** EventBridge's retries of a delivery it could not make (0 to 185). */
  readonly targetRetryAttempts: number;
  /** How long EventBridge keeps retrying a delivery (60 s to 24 h). */
  readonly maxEventAge: Duration;
  /** Lambda's own retries of an invocation whose handler threw (0 to 2). */
  readonly handlerRetryAttempts: number;
}

/** For events whose loss leaves state wrong until someone redrives them: as the vod stack's rules. */
export const DURABLE_EVENT_RETRIES: EventRetryPolicy = {
  targetRetryAttempts: 8,
  maxEventAge: Duration.hours(24),
  handlerRetryAttempts: 2,
};

export interface EventHandlerProps {
  /** Handler module under `lambda/` without extension, e.g. `live/on-stream-state`. */
  readonly handler: string;
  /** Powertools service name. */
  readonly serviceName: string;
  /** What the function does, also the rule's description. */
  readonly description: string;
  /** What the rule matches, on the account's default bus (where AWS services publish). Give this or `schedule`. */
  readonly eventPattern?: EventPattern;
  /** When the rule fires. Give this or `eventPattern`. */
  readonly schedule?: Schedule;
  /** What the dead-letter queue holds, for its cdk-nag acknowledgement. */
  readonly deadLetters: string;
  readonly logRetention: RetentionDays;
  /** @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** @default - none */
  readonly environment?: Record<string, string>;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default DURABLE_EVENT_RETRIES */
  readonly retries?: EventRetryPolicy;
}

/**
 * A function invoked by one EventBridge rule, and the encrypted dead-letter queue that receives every event
 * that had no effect: deliveries EventBridge gave up on after its retries, and invocations whose handler
 * still threw after Lambda's own retries. One queue per handler, so its depth says which path is broken.
 */
export class EventHandler extends Construct {
  public readonly function: LmsFunction;
  public readonly deadLetterQueue: Queue;
  public readonly rule: Rule;

  constructor(scope: Construct, id: string, props: EventHandlerProps) {
    super(scope, id);
    if (Boolean(props.eventPattern) === Boolean(props.schedule)) {
      throw new Error(`${id}: give either an event pattern or a schedule`);
    }
    const retries = props.retries ?? DURABLE_EVENT_RETRIES;

    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This is a dead-letter queue itself (${props.deadLetters}); an alarm watches it.`,
    });

    this.function = new LmsFunction(this, 'Function', {
      handler: props.handler,
      serviceName: props.serviceName,
      description: props.description,
      logRetention: props.logRetention,
      ...(props.logRemovalPolicy ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
      ...(props.environment ? { environment: props.environment } : {}),
      ...(props.timeout ? { timeout: props.timeout } : {}),
    });
    this.function.function.configureAsyncInvoke({
      retryAttempts: retries.handlerRetryAttempts,
      onFailure: new SqsDestination(this.deadLetterQueue),
    });

    this.rule = new Rule(this, 'Rule', {
      description: props.description,
      ...(props.eventPattern ? { eventPattern: props.eventPattern } : {}),
      ...(props.schedule ? { schedule: props.schedule } : {}),
      targets: [
        new LambdaFunction(this.function.function, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: retries.targetRetryAttempts,
          maxEventAge: retries.maxEventAge,
        }),
      ],
    });
  }
}
