import { AssetHashType, DockerImage, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  type CfnFunction,
  Code,
  Function as LambdaFunction,
  type FunctionProps,
  LoggingFormat,
  Runtime,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type BuildOptions, buildSync } from 'esbuild';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { REPO_ROOT } from '../paths';

const LAMBDA_ROOT = 'lambda';

/** Files a handler reads at run time, copied beside its bundle. */
export interface BundleCopy {
  /** Path relative to the repository root, e.g. `service/migrations`. */
  readonly from: string;
  /** Path inside the bundle, e.g. `migrations`. */
  readonly to: string;
}

export interface LmsFunctionProps {
  /** Handler module under `codeRoot` without extension, e.g. `users/get-me`; it exports `handler`. */
  readonly handler: string;
  /**
   * Folder of the handler module, relative to the repository root: a handler that runs code of the core
   * service (the migration step) lives beside that code.
   * @default 'lambda'
   */
  readonly codeRoot?: string;
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
  /**
   * Files to copy beside the bundle (read by the handler at run time).
   * @default - none
   */
  readonly copyFiles?: readonly BundleCopy[];
  /**
   * Network placement, for functions that must reach the database.
   * @default - not in a VPC
   */
  readonly vpc?: FunctionProps['vpc'];
  /** @default - the VPC's private subnets with egress, when `vpc` is set */
  readonly vpcSubnets?: FunctionProps['vpcSubnets'];
  /** @default - one created by Lambda, when `vpc` is set */
  readonly securityGroups?: FunctionProps['securityGroups'];
}

const ESBUILD_OPTIONS = {
  bundle: true,
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  mainFields: ['module', 'main'],
  // The runtime ships AWS SDK v3; bundling it again would only grow cold starts.
  external: ['@aws-sdk/*'],
  logLevel: 'warning',
} as const satisfies BuildOptions;

const HANDLER_EXPORT = /^export (const|async function|function) handler\b/m;

/** Every handler module under a code root (a file that exports `handler`), without extension. */
function handlerModules(sourceDir: string): string[] {
  return (readdirSync(sourceDir, { recursive: true, encoding: 'utf8' }) as string[])
    .filter((f) => f.endsWith('.ts') && HANDLER_EXPORT.test(readFileSync(join(sourceDir, f), 'utf8')))
    .map((f) => f.slice(0, -'.ts'.length).split(sep).join('/'));
}

/** Bundles of every handler of a code root, built once per synth: code root -> directory of bundles. */
const bundleDirs = new Map<string, string>();

/**
 * All of a code root's handlers in one esbuild run, on first need: esbuild then parses the modules they share
 * (the shared layer, zod, the contracts) once instead of once per function, which halved the whole app's
 * bundling time. Each function's asset copies its handler's bundle.
 */
function bundlesOf(sourceDir: string): string {
  const known = bundleDirs.get(sourceDir);
  if (known) return known;
  const outdir = mkdtempSync(join(tmpdir(), 'lms-bundles-'));
  // The assets keep their own copies; these go with the process.
  process.once('exit', () => rmSync(outdir, { recursive: true, force: true }));
  buildSync({
    ...ESBUILD_OPTIONS,
    entryPoints: Object.fromEntries(
      handlerModules(sourceDir).map((m) => [`${m}/index`, join(sourceDir, `${m}.ts`)]),
    ),
    outdir,
  });
  bundleDirs.set(sourceDir, outdir);
  return outdir;
}

/**
 * Bundles a handler with esbuild's API, in this process. NodejsFunction runs `npx esbuild` once per
 * function, and npx's start-up alone cost about 0.7 s of every function's synth time.
 */
function bundledCode(codeRoot: string, handler: string, copy: readonly BundleCopy[]): Code {
  const sourceDir = join(REPO_ROOT, codeRoot);
  return Code.fromAsset(sourceDir, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never pulled: local bundling always succeeds, and Docker has no engine on these machines anyway.
      image: DockerImage.fromRegistry('public.ecr.aws/sam/build-nodejs22.x'),
      // Part of CDK's staging cache key: without it every function would get the first one's bundle.
      command: ['bundle', `${codeRoot}/${handler}`, ...copy.map((c) => `${c.from}:${c.to}`)],
      local: {
        tryBundle(outputDir: string): boolean {
          const built = join(bundlesOf(sourceDir), handler);
          if (!existsSync(join(built, 'index.js')))
            throw new Error(`${codeRoot}/${handler}.ts does not export a handler`);
          cpSync(built, outputDir, { recursive: true });
          for (const c of copy) cpSync(join(REPO_ROOT, c.from), join(outputDir, c.to), { recursive: true });
          return true;
        },
      },
    },
  });
}

/**
 * A Lambda function with the platform's defaults: current Node.js LTS on arm64, esbuild bundle with
 * minification and source maps, X-Ray tracing, Powertools settings, and its own log group with retention.
 */
export class LmsFunction extends Construct {
  public readonly function: LambdaFunction;
  public readonly logGroup: LogGroup;
  public readonly role: Role;

  constructor(scope: Construct, id: string, props: LmsFunctionProps) {
    super(scope, id);
    const codeRoot = props.codeRoot ?? LAMBDA_ROOT;
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    // An own role instead of AWSLambdaBasicExecutionRole: it may write to its own log group only.
    const inlinePolicies: Record<string, PolicyDocument> = {
      tracing: new PolicyDocument({
        statements: [
          new PolicyStatement({
            actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
            resources: ['*'],
          }),
        ],
      }),
    };
    if (props.vpc) {
      // Lambda manages the function's network interfaces with this role. Lambda's Function adds
      // AWSLambdaVPCAccessExecutionRole only to roles it creates itself, and that policy would also let
      // the function write to every log group.
      inlinePolicies.vpcAccess = new PolicyDocument({
        statements: [
          new PolicyStatement({
            actions: [
              'ec2:CreateNetworkInterface',
              'ec2:DescribeNetworkInterfaces',
              'ec2:DescribeSubnets',
              'ec2:DeleteNetworkInterface',
              'ec2:AssignPrivateIpAddresses',
              'ec2:UnassignPrivateIpAddresses',
            ],
            resources: ['*'],
          }),
        ],
      });
    }
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${codeRoot === LAMBDA_ROOT ? props.handler : `${codeRoot}/${props.handler}`}`,
      inlinePolicies,
    });
    Validations.of(this.role.node.defaultChild!).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: props.vpc
        ? 'X-Ray trace upload and Lambda’s VPC network-interface management have no resource-level ' +
          'permissions; these inline policies hold only those.'
        : 'X-Ray trace upload has no resource-level permissions; this inline policy holds only that.',
    });
    this.logGroup.grantWrite(this.role);
    this.function = new LambdaFunction(this, 'Function', {
      role: this.role,
      code: bundledCode(codeRoot, props.handler, props.copyFiles ?? []),
      ...(props.vpc
        ? { vpc: props.vpc, vpcSubnets: props.vpcSubnets, securityGroups: props.securityGroups }
        : {}),
      handler: 'index.handler',
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
