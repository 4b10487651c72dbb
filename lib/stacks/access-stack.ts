import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { AccessProjection } from '../constructs/access-projection';
import type { LmsFunction } from '../constructs/lms-function';

export interface AccessStackProps extends StackProps {
  /** The platform bus the core publishes its facts on. */
  readonly eventBus: IEventBus;
  /** The access projection table, created (stateful) by the data stack. */
  readonly accessTable: ITable;
  readonly logRetention: RetentionDays;
  /** Keep the projector's log group when the stack is deleted. */
  readonly keepStatefulData: boolean;
}

/**
 * Who may upload or watch what, decided without the core database: the projection that keeps the access
 * table from the core's events. Later stacks take the table from here to read it.
 */
export class AccessStack extends Stack {
  /** The access table, for functions that decide access (read it with `bindTable(..., 'read')`). */
  public readonly table: ITable;
  public readonly projection: AccessProjection;
  public readonly functionsForMonitoring: LmsFunction[];

  constructor(scope: Construct, id: string, props: AccessStackProps) {
    super(scope, id, props);
    this.table = props.accessTable;
    this.projection = new AccessProjection(this, 'Projection', {
      eventBus: props.eventBus,
      table: props.accessTable,
      logRetention: props.logRetention,
      logRemovalPolicy: props.keepStatefulData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.functionsForMonitoring = [this.projection.projector];
  }
}
