import {
  Annotations,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  type BehaviorOptions,
  CachePolicy,
  Distribution,
  FunctionEventType,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import type { Policy } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AaaaRecord, ARecord, HostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { CloudFrontTarget } from 'aws-cdk-lib/aws-route53-targets';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { contentSecurityPolicy, ivsOrigins, type WebAppConfig } from '#contracts/web-app';
import { IMMUTABLE_MAX_AGE, WEB_ASSETS_DIR, WebAppDeployment } from '../constructs/web-app-deployment';
import { WebSpaRouting } from '../constructs/web-spa-routing';
import { nagResource } from '../nag-resource';
import { nameOriginAccessControl } from '../origin-access-control-name';
import { privateBucket } from '../private-bucket';

// Two years, the HSTS preload list's expectation.
const HSTS_MAX_AGE = Duration.days(730);
// index.html and config.json say `no-cache`, which CloudFront honors only with a minimum TTL of 0; a file
// without a Cache-Control header (none that the deployment writes) is not cached at all.
const ENTRY_MAX_TTL = Duration.days(1);
/** The wildcard actions of Bucket.grantRead and grantReadWrite, which BucketDeployment gives its handler. */
const DEPLOYMENT_GRANT_WILDCARDS = [
  's3:GetObject*',
  's3:GetBucket*',
  's3:List*',
  's3:DeleteObject*',
  's3:Abort*',
];

/** A custom host for the app's distribution. */
export interface AppDomain {
  /** e.g. `app.academy.example.com`. */
  readonly hostName: string;
  /** The Route 53 hosted zone the host's alias records go in. */
  readonly zone: { readonly zoneName: string; readonly hostedZoneId: string };
  /** ACM certificate for `hostName`; CloudFront reads certificates only from us-east-1. */
  readonly certificate: ICertificate;
}

export interface WebStackProps extends StackProps {
  /** The app's runtime settings, deployed as config.json; their `apiUrl` is the API origin the CSP allows. */
  readonly app: WebAppConfig;
  /**
   * The video distribution's origin, which the CSP lets the app fetch and play from.
   * @default - video is off: no video origin
   */
  readonly videoOrigin?: string;
  /**
   * The upload bucket's origin (`https://<bucket>.s3.<region>.amazonaws.com`, where presigned URLs point),
   * which the CSP lets the console PUT file parts to.
   * @default - video is off: no upload origin
   */
  readonly uploadOrigin?: string;
  /**
   * Serve the app at this host instead of the distribution's cloudfront.net name. The session cookies the
   * API sets are for the parent domain, so only an app under it can sign in.
   * @default - the distribution's `*.cloudfront.net` name
   */
  readonly domain?: AppDomain;
  readonly logRetention: RetentionDays;
}

/**
 * The browser app: its build in a private bucket, served by CloudFront through origin access control with
 * the app's Content-Security-Policy, screens routed to index.html at the edge, hashed assets cached for a
 * year and the entry files revalidated on every load.
 */
export class WebStack extends Stack {
  /** The app's files; readable only through the distribution. */
  public readonly bucket: Bucket;
  public readonly distribution: Distribution;
  /** `https://<app host>`, or `https://<distribution>.cloudfront.net` without one. */
  public readonly url: string;
  /** The build and its two copies into the bucket. */
  public readonly deployment: WebAppDeployment;
  /** The Content-Security-Policy every response carries. */
  public readonly contentSecurityPolicy: string;

  constructor(scope: Construct, id: string, props: WebStackProps) {
    super(scope, id, props);

    // Rebuilt from the repository on every deploy, so nothing in it is worth keeping.
    this.bucket = new Bucket(this, 'App', privateBucket(RemovalPolicy.DESTROY));
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'It holds the public app build, written only by the deploy and read only by the distribution; a ' +
        'read log would log CloudFront, and the deploy is in CloudFormation’s history.',
    });

    this.contentSecurityPolicy = contentSecurityPolicy({
      apiOrigins: [props.app.apiUrl],
      videoOrigins: props.videoOrigin ? [props.videoOrigin] : [],
      uploadOrigins: props.uploadOrigin ? [props.uploadOrigin] : [],
      // IVS playback and chat are in the platform's region, as the live stack's channels and rooms.
      liveOrigins: props.app.live ? ivsOrigins(this.region) : [],
    });
    const origin = S3BucketOrigin.withOriginAccessControl(this.bucket);
    const common = {
      origin,
      // The app is typed into address bars: a plain-HTTP request is redirected, and HSTS keeps it on HTTPS.
      viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
      responseHeadersPolicy: this.securityHeaders(),
    } satisfies Partial<BehaviorOptions>;
    const domain = props.domain;
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Web app',
      httpVersion: HttpVersion.HTTP2_AND_3,
      ...(domain
        ? {
            domainNames: [domain.hostName],
            certificate: domain.certificate,
            minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
      defaultBehavior: {
        ...common,
        cachePolicy: new CachePolicy(this, 'EntryCache', {
          comment: 'Web app entry files: cached only as long as their Cache-Control says (no-cache)',
          minTtl: Duration.seconds(0),
          defaultTtl: Duration.seconds(0),
          maxTtl: ENTRY_MAX_TTL,
          enableAcceptEncodingGzip: true,
          enableAcceptEncodingBrotli: true,
        }),
        functionAssociations: [
          { function: new WebSpaRouting(this, 'SpaRouting'), eventType: FunctionEventType.VIEWER_REQUEST },
        ],
      },
      additionalBehaviors: {
        // Files only, so the routing function (billed per request) does not run for them.
        [`${WEB_ASSETS_DIR}/*`]: {
          ...common,
          cachePolicy: new CachePolicy(this, 'AssetCache', {
            comment: 'Web app hashed assets: a year, as their Cache-Control says',
            minTtl: Duration.seconds(0),
            defaultTtl: IMMUTABLE_MAX_AGE,
            maxTtl: IMMUTABLE_MAX_AGE,
            enableAcceptEncodingGzip: true,
            enableAcceptEncodingBrotli: true,
          }),
        },
      },
    });
    nameOriginAccessControl(this.distribution, `${this.stackName}-${this.region}-app`);
    this.url = `https://${domain?.hostName ?? this.distribution.distributionDomainName}`;
    if (domain) this.aliases(domain);
    this.acknowledgeDistributionFindings(Boolean(domain));

    this.deployment = new WebAppDeployment(this, 'Deployment', {
      bucket: this.bucket,
      config: props.app,
      logRetention: props.logRetention,
    });
    this.acknowledgeDeploymentHandlerFindings(this.deployment);

    if (!domain) {
      // Found only at deploy, its origin cannot be in the API's allowed origins without the api stack
      // depending on this one; and the API's SameSite=Lax session cookie never travels from another site.
      Annotations.of(this).addWarningV2(
        '@lms/web:no-domain',
        'The web app is served at its cloudfront.net URL, from which it cannot sign in or play video: the ' +
          'API does not allow that origin, and its session and playback cookies are not sent from another ' +
          'site. Set `domain` in the institution config to serve the app at app.<domain>.',
      );
    }
    new CfnOutput(this, 'AppUrl', { value: this.url });
  }

  /** IPv4 and IPv6 aliases of the app host to the distribution (CloudFront answers on both). */
  private aliases(domain: AppDomain): void {
    const zone = HostedZone.fromHostedZoneAttributes(this, 'Zone', domain.zone);
    const target = RecordTarget.fromAlias(new CloudFrontTarget(this.distribution));
    new ARecord(this, 'AppAlias', { zone, recordName: domain.hostName, target });
    new AaaaRecord(this, 'AppAliasIpv6', { zone, recordName: domain.hostName, target });
  }

  private securityHeaders(): ResponseHeadersPolicy {
    return new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      // Account-wide, like every CloudFront policy: the region tells apart one slug's platforms in two regions.
      responseHeadersPolicyName: `${this.stackName}-${this.region}-security-headers`,
      comment: 'The web app’s Content-Security-Policy and security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: this.contentSecurityPolicy, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: HSTS_MAX_AGE,
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: {
          referrerPolicy: HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
          override: true,
        },
      },
    });
  }

  private acknowledgeDistributionFindings(hasDomain: boolean): void {
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: 'Learners may train from anywhere; the app is the same public files for everyone.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'The distribution serves the same static files to everyone from its cache, which a flood cannot ' +
          'exhaust, and Shield Standard covers it; a web ACL for CloudFront must live in us-east-1, i.e. in ' +
          'a stack of its own.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason:
          'Every visitor fetches the same public files; who signs in and what they do is logged by the ' +
          'API, and the distribution’s error rates are in its CloudWatch metrics.',
      },
    );
    if (!hasDomain) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason:
          'The distribution uses its cloudfront.net name, whose default certificate fixes the TLS policy; ' +
          'a TLSv1.2_2021 minimum needs a custom domain (config `domain`) with a certificate in us-east-1.',
      });
    }
  }

  /**
   * CDK's own deployment handler, one Lambda function per stack whose role CDK writes: its managed policy, and
   * the wildcards of the grants BucketDeployment makes it (read the asset bucket, read and write the app's).
   */
  private acknowledgeDeploymentHandlerFindings(deployment: WebAppDeployment): void {
    const role = deployment.assets.handlerRole;
    const policy = role.node.tryFindChild('DefaultPolicy') as Policy;
    const objectArns = (
      policy.document.toJSON() as { Statement: { Resource: string | string[] }[] }
    ).Statement.flatMap((s) => [s.Resource].flat()).filter((r) => typeof r === 'string' && r.endsWith('/*'));
    // The role is the handler function's child.
    Validations.of(role.node.scope!).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'CDK’s BucketDeployment handler runs the Python runtime CDK builds it for, with its AWS CLI layer.',
    });
    Validations.of(role).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'CDK’s BucketDeployment handler: CDK makes its role and attaches this policy for its logs.',
      },
      ...DEPLOYMENT_GRANT_WILDCARDS.map((action) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: 'CDK’s BucketDeployment grants: it syncs the build into the app bucket, pruning as it goes.',
      })),
      ...objectArns.map((arn) => ({
        id: `AwsSolutions-IAM5[Resource::${nagResource(this, arn)}]`,
        reason: 'CDK’s BucketDeployment grants: it reads the build’s zip and writes every file of the app.',
      })),
    );
  }
}
