import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type CfnFunction, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { LAMBDA_DIR, REPO_ROOT } from '../paths';

export interface LmsFunctionProps {
  /** Handler module under `lambda/` without extension, e.g. `users/get-me`; it exports `handler`. */
  readonly handler: string;
  /** Powertools service name, shown in every log line and trace. */
  readonly serviceName: string;
  readonly logRetention: RetentionDays;
  /**
   * What happens to the log group when the stack is deleted.
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** @default - none */
  readonly environment?: Record<string, string>;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default - the handler module's path */
  readonly description?: string;
}

/**
 * A Lambda function with the platform's defaults: current Node.js LTS on arm64, esbuild bundle with
 * minification and source maps, X-Ray tracing, Powertools settings, and its own log group with retention.
 */
export class LmsFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly logGroup: LogGroup;
  public readonly role: Role;

  constructor(scope: Construct, id: string, props: LmsFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    // An own role instead of AWSLambdaBasicExecutionRole: it may write to its own log group only.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${props.handler}`,
      inlinePolicies: {
        tracing: new PolicyDocument({
          statements: [
            new PolicyStatement({
              actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
              resources: ['*'],
            }),
          ],
        }),
      },
    });
    Validations.of(this.role.node.defaultChild!).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray trace upload has no resource-level permissions; this inline policy holds only that.',
    });
    this.logGroup.grantWrite(this.role);
    this.function = new NodejsFunction(this, 'Function', {
      role: this.role,
      entry: join(LAMBDA_DIR, `${props.handler}.ts`),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      description: props.description ?? props.handler,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
      },
      bundling: {
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        target: 'node22',
        format: OutputFormat.CJS,
        // The runtime ships AWS SDK v3; bundling it again would only grow cold starts.
        externalModules: ['@aws-sdk/*'],
      },
    });
    // Set on the resource directly: the `tracing` prop would also add the X-Ray grant to the default
    // policy, where its wildcard would sit beside the function's other grants.
    (this.function.node.defaultChild as CfnFunction).tracingConfig = { mode: 'Active' };
  }

  /** Sets the table's name in `envName` and grants exactly the access asked for. */
  bindTable(table: ITable, envName: string, access: 'read' | 'readWrite'): void {
    this.function.addEnvironment(envName, table.tableName);
    if (access === 'read') table.grantReadData(this.function);
    else table.grantReadWriteData(this.function);
  }
}
