import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLES } from '#contracts/resources';

export interface LiveTableProps {
  /** Protect the table from deletion and retain it with the stack (prod configs). */
  readonly keepStatefulData: boolean;
}

/**
 * The live lectures' table (TABLES.live): lectures, seats, quizzes and answers, with its three indexes. The
 * live stack's own, as the data stack skips feature tables; protected and recoverable as the data stack's are.
 */
export class LiveTable extends Construct {
  public readonly table: TableV2;

  constructor(scope: Construct, id: string, props: LiveTableProps) {
    super(scope, id);
    const spec = TABLES.live;
    const key = (name: string) => ({ name, type: AttributeType.STRING });
    this.table = new TableV2(this, 'Table', {
      partitionKey: key(spec.partitionKey),
      sortKey: key(spec.sortKey),
      globalSecondaryIndexes: Object.entries(spec.indexes).map(([indexName, index]) => ({
        indexName,
        partitionKey: key(index.partitionKey),
        ...('sortKey' in index ? { sortKey: key(index.sortKey) } : {}),
      })),
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.keepStatefulData,
      removalPolicy: props.keepStatefulData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
  }
}
