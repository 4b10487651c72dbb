import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { CertificateIssuer } from '../constructs/certificate-issuer';
import type { LmsFunction } from '../constructs/lms-function';

export interface CertificatesStackProps extends StackProps {
  readonly eventBus: IEventBus;
  /** The certificates table and bucket, created (stateful) by the data stack. */
  readonly table: ITable;
  readonly bucket: IBucket;
  readonly userPool: IUserPool;
  /** The API's verification page, without the number (`<api>/verify`). */
  readonly verifyBaseUrl: string;
  readonly logRetention: RetentionDays;
  /** Keep the function's log group when the stack is deleted. */
  readonly keepStatefulData: boolean;
}

/**
 * The certificates domain's consumer. Its own stack after the api stack, whose URL each document's QR code
 * points to; its routes are the api stack's, from the route table.
 */
export class CertificatesStack extends Stack {
  public readonly issuer: CertificateIssuer;
  public readonly functionsForMonitoring: LmsFunction[];

  constructor(scope: Construct, id: string, props: CertificatesStackProps) {
    super(scope, id, props);
    this.issuer = new CertificateIssuer(this, 'Issuer', {
      eventBus: props.eventBus,
      table: props.table,
      bucket: props.bucket,
      userPool: props.userPool,
      verifyBaseUrl: props.verifyBaseUrl,
      logRetention: props.logRetention,
      logRemovalPolicy: props.keepStatefulData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.functionsForMonitoring = [this.issuer.issuer];
  }
}
