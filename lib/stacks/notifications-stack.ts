import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { LmsFunction } from '../constructs/lms-function';
import { Notifier, type NotifierProps } from '../constructs/notifier';

export interface NotificationsStackProps extends StackProps, Omit<NotifierProps, 'logRemovalPolicy'> {
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
    const { keepStatefulData, ...notifier } = props;
    this.notifier = new Notifier(this, 'Notifier', {
      ...notifier,
      logRemovalPolicy: keepStatefulData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.functionsForMonitoring = [
      this.notifier.notifier,
      ...(this.notifier.feedback ? [this.notifier.feedback] : []),
    ];
  }
}
