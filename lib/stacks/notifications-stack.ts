import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { LmsFunction } from '../constructs/lms-function';
import { Notifier, type NotifierEmailProps } from '../constructs/notifier';

export interface NotificationsStackProps extends StackProps {
  readonly eventBus: IEventBus;
  /** The notifications table and the access projection, created (stateful) by the data stack. */
  readonly table: ITable;
  readonly accessTable: ITable;
  readonly userPool: IUserPool;
  readonly unsubscribeSecret: ISecret;
  /** @default none: notifications stay in the inbox */
  readonly email?: NotifierEmailProps;
  readonly timeZone: string;
  readonly defaultLocale: 'ko' | 'en';
  readonly logRetention: RetentionDays;
  /** Keep the functions' log groups when the stack is deleted. */
  readonly keepStatefulData: boolean;
}

/**
 * The notifications domain's consumer and its e-mail through SES. Its own stack after the api stack, whose
 * unsubscribe page every e-mail links to; its routes are the api stack's, from the route table.
 */
export class NotificationsStack extends Stack {
  public readonly notifier: Notifier;
  public readonly functionsForMonitoring: LmsFunction[];

  constructor(scope: Construct, id: string, props: NotificationsStackProps) {
    super(scope, id, props);
    this.notifier = new Notifier(this, 'Notifier', {
      eventBus: props.eventBus,
      table: props.table,
      accessTable: props.accessTable,
      userPool: props.userPool,
      unsubscribeSecret: props.unsubscribeSecret,
      ...(props.email ? { email: props.email } : {}),
      timeZone: props.timeZone,
      defaultLocale: props.defaultLocale,
      logRetention: props.logRetention,
      logRemovalPolicy: props.keepStatefulData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.functionsForMonitoring = [
      this.notifier.notifier,
      ...(this.notifier.feedback ? [this.notifier.feedback] : []),
    ];
  }
}
