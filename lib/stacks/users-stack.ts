import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { GroupSync } from '../constructs/group-sync';
import type { LmsFunction } from '../constructs/lms-function';

export interface UsersStackProps extends StackProps {
  /** The platform bus the core publishes its member facts on. */
  readonly eventBus: IEventBus;
  /** The users table, created (stateful) by the data stack. */
  readonly usersTable: ITable;
  /** The auth stack's pool, whose groups follow memberships. */
  readonly userPool: IUserPool;
  readonly logRetention: RetentionDays;
  /** Keep the function's log group when the stack is deleted. */
  readonly keepStatefulData: boolean;
}

/**
 * The users domain's consumer: Cognito groups that follow the core's memberships. Its own stack after auth
 * and data, since it needs the pool of one and the bus and table of the other, and neither needs it (the
 * pool's own trigger lives with the pool).
 */
export class UsersStack extends Stack {
  public readonly groupSync: GroupSync;
  public readonly functionsForMonitoring: LmsFunction[];

  constructor(scope: Construct, id: string, props: UsersStackProps) {
    super(scope, id, props);
    this.groupSync = new GroupSync(this, 'GroupSync', {
      eventBus: props.eventBus,
      table: props.usersTable,
      userPool: props.userPool,
      logRetention: props.logRetention,
      logRemovalPolicy: props.keepStatefulData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.functionsForMonitoring = [this.groupSync.syncer];
  }
}
