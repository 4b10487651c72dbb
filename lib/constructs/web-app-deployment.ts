import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { AssetHashType, DockerImage, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, type ISource, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { WEB_APP, type WebAppConfig } from '#contracts/web-app';
import { REPO_ROOT } from '../paths';

const WEB_ROOT = join(REPO_ROOT, 'web');
/** Vite's CLI run by this process's Node, not through npx, whose start-up alone takes most of a second. */
const VITE_CLI = join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
/** Where the build puts its content-hashed files (web/vite.config.ts `assetsDir`). */
export const WEB_ASSETS_DIR = 'assets';
/** A hashed file never changes under its name, so browsers and CloudFront may keep it for a year. */
export const IMMUTABLE_MAX_AGE = Duration.days(365);

export interface WebAppDeploymentProps {
  /** The app's bucket. */
  readonly bucket: IBucket;
  /** The app's runtime settings, written beside it as config.json. */
  readonly config: WebAppConfig;
  /** Retention of CDK's deployment handler's log group. */
  readonly logRetention: RetentionDays;
}

/**
 * The web app, built at synth and copied into its bucket at deploy, in two passes with their own caching:
 * the hashed files under assets/ first, immutable; then index.html, config.json and the other unhashed files,
 * `no-cache`, so a browser revalidates them on every load and sees a deploy at once. The entry files go
 * second: a new index.html never names a chunk that is not there yet.
 */
export class WebAppDeployment extends Construct {
  /** Copies `assets/*`, deleting nothing: a tab still running the previous build lazy-loads its own chunks. */
  public readonly assets: BucketDeployment;
  /** Copies everything but `assets/*`, and deletes what is outside `assets/` and no longer in the build. */
  public readonly entry: BucketDeployment;

  constructor(scope: Construct, id: string, props: WebAppDeploymentProps) {
    super(scope, id);
    const build = webAppBuild();
    // CDK's deployment handler is one function per stack, shared by both deployments; without a log group of
    // its own, Lambda would create one that keeps its logs forever.
    const logGroup = new LogGroup(this, 'HandlerLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // `aws s3 sync` applies its filters in order, the last matching one deciding: everything is excluded,
    // then assets/ included again. Pruning and uploading follow the same filters, so neither pass ever
    // touches the other's files.
    this.assets = new BucketDeployment(this, 'Assets', {
      sources: [build],
      destinationBucket: props.bucket,
      exclude: ['*'],
      include: [`${WEB_ASSETS_DIR}/*`],
      prune: false,
      cacheControl: [
        CacheControl.setPublic(),
        CacheControl.maxAge(IMMUTABLE_MAX_AGE),
        CacheControl.immutable(),
      ],
      logGroup,
    });
    this.entry = new BucketDeployment(this, 'Entry', {
      sources: [build, Source.jsonData(WEB_APP.configPath.slice(1), props.config)],
      destinationBucket: props.bucket,
      exclude: [`${WEB_ASSETS_DIR}/*`],
      prune: true,
      cacheControl: [CacheControl.noCache()],
      logGroup,
    });
    this.entry.node.addDependency(this.assets);
    // Each deployment makes an AWS CLI layer for the handler, but the handler is one function made with the
    // first deployment's layer: the second layer is a resource nothing uses.
    this.entry.node.tryRemoveChild('AwsCliLayer');
  }
}

/**
 * web/ built with Vite into the asset's directory, in this process's environment (the repository's
 * node_modules, the contracts the app imports). The asset's hash is the build's output, not web/'s sources:
 * a change to anything the app imports from outside web/ redeploys it, and a rebuild of the same app does not.
 */
function webAppBuild(): ISource {
  return Source.asset(WEB_ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    exclude: ['dist', 'node_modules'],
    bundling: {
      // Never pulled: local bundling always succeeds or throws, and these machines have no Docker engine.
      image: DockerImage.fromRegistry('node:22'),
      local: {
        tryBundle(outputDir: string): boolean {
          execFileSync(
            process.execPath,
            [
              VITE_CLI,
              'build',
              '--config',
              join(WEB_ROOT, 'vite.config.ts'),
              '--outDir',
              outputDir,
              // The output directory is outside web/, which Vite empties only when told to.
              '--emptyOutDir',
              '--logLevel',
              'warn',
            ],
            { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
          );
          return true;
        },
      },
    },
  });
}
