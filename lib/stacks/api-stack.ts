import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  DomainName,
  HttpApi,
  HttpMethod,
  CfnStage,
  HttpStage,
  LogGroupLogDestination,
  MappingValue,
  ParameterMapping,
  VpcLink,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpAlbIntegration, HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Certificate, CertificateValidation } from 'aws-cdk-lib/aws-certificatemanager';
import {
  CfnManagedLoginBranding,
  type IUserPool,
  OAuthScope,
  UserPoolClient,
  type UserPoolClientIdentityProvider,
} from 'aws-cdk-lib/aws-cognito';
import { type ITable, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { type ISecurityGroup, type IVpc, Port, SecurityGroup, SubnetType } from 'aws-cdk-lib/aws-ec2';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IApplicationListener } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ARecord, HostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { ApiGatewayv2DomainProperties } from 'aws-cdk-lib/aws-route53-targets';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { LIVE } from '#contracts/live';
import { CORS_ALLOWED_HEADERS } from '#contracts/origin';
import { CERTIFICATES } from '#contracts/certificates';
import { NOTIFICATIONS } from '#contracts/notifications';
import { exportedBucketArn } from '../exported-arn';
import {
  CORE_SERVICE,
  type CoreTableName,
  ENV,
  EVENTS,
  SESSION,
  TABLES,
  type TableName,
  type TableSpec,
  VOD,
} from '#contracts/resources';
import { type CognitoAction, type IvsAction, type RouteDef, routeList } from '#contracts/routes';
import type { InstitutionConfig } from '../config/institution-config';
import { LIVE_METRICS } from '../constructs/live-monitoring';
import { LmsFunction } from '../constructs/lms-function';
import { nagResource } from '../nag-resource';

/** A route of the route table with its id. */

/**
 * The resource types IVS and IVS chat authorize each action on (Service Authorization Reference), all
 * named by the services at runtime, so a route gets `<type>/*` of this account and region, never `*`.
 */
const IVS_RESOURCE_TYPES: Readonly<Record<IvsAction, readonly IvsResourceType[]>> = {
  'ivs:CreateChannel': ['channel', 'stream-key'],
  'ivs:DeleteChannel': ['channel', 'stream-key'],
  'ivs:UpdateChannel': ['channel'],
  'ivs:GetStream': ['channel'],
  'ivs:GetStreamKey': ['stream-key'],
  'ivs:ListStreamKeys': ['channel', 'stream-key'],
  'ivs:PutMetadata': ['channel'],
  'ivs:TagResource': ['channel', 'stream-key'],
  'ivschat:CreateRoom': ['room'],
  'ivschat:DeleteRoom': ['room'],
  'ivschat:CreateChatToken': ['room'],
  'ivschat:TagResource': ['room'],
};
type IvsResourceType = 'channel' | 'stream-key' | 'room';
/** A table's named export, once per table however many api stacks read it (an import is stackless). */
const TABLE_EXPORTS = new WeakMap<ITable, string>();
/** The upload bucket's ARN export, read by the upload and material routes (and named in their acknowledgements). */
const UPLOAD_BUCKET_EXPORT = 'UploadBucketArn';
/** Actions that may give a channel the recording configuration. */
const CHANNEL_WRITES: readonly IvsAction[] = ['ivs:CreateChannel', 'ivs:UpdateChannel'];

export interface ApiStackProps extends StackProps {
  /** The platform's pool: the authorizer trusts its tokens, and the users routes administer it. */
  readonly userPool: IUserPool;
  /** The platform bus, for routes that publish facts (`publishes` in the route table). */
  readonly eventBus: IEventBus;
  /** Base URL of the user pool's managed login (its OAuth 2.0 endpoints). */
  readonly oauthBaseUrl: string;
  readonly identityProviders: readonly UserPoolClientIdentityProvider[];
  readonly tables: Readonly<Record<CoreTableName, ITable>>;
  /** The private bucket of certificate documents: download routes presign reads of `certificates/*`. */
  readonly certificatesBucket: IBucket;
  /** The key unsubscribe links are signed with: the unsubscribe routes read it. */
  readonly unsubscribeSecret: ISecret;
  readonly allowedOrigins: readonly string[];
  /** @default - the API is served on its execute-api URL and cookies are host-only */
  readonly domain?: InstitutionConfig['domain'];
  readonly logRetention: RetentionDays;
  /** Requests per second across the stage, and the burst above it. */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** The VPC the core service runs in; the VPC link sits in its private subnets. */
  readonly vpc: IVpc;
  /** The core service's internal ALB: its listener (the VPC link's target) and its security group. */
  readonly coreService: {
    readonly listener: IApplicationListener;
    readonly albSecurityGroup: ISecurityGroup;
  };
  /**
   * The video pipeline's upload bucket and the largest file it takes, in bytes. Routes of the `video`
   * feature exist only when this is given.
   * @default - video is off: no upload routes
   */
  readonly video?: {
    readonly uploadBucket: IBucket;
    readonly maxUploadBytes: number;
    /** Minutes of video each institution may have transcoded per month; the upload route refuses past it. */
    readonly monthlyTranscodeMinutes: number;
    /** What the playback route signs cookies with, and for. */
    readonly playback: VideoPlaybackProps;
  };
  /**
   * The live lectures' table, playback key and IVS settings. Routes of the `live` feature exist only when
   * this is given.
   * @default - live lectures are off: no lecture routes
   */
  readonly live?: LiveApiProps;
}

/** What the lecture routes need of the live stack and the config. */
export interface LiveApiProps {
  /** The live table (TABLES.live), bound to every route that declares `tables.live`. */
  readonly table: ITable;
  /** Holds the playback key pair's private half (PKCS#8 PEM, EC P-384), read by routes that sign tokens. */
  readonly playbackKeySecret: ISecret;
  /** Prefix of channel and room names (`LIVE_NAME_PREFIX`). */
  readonly namePrefix: string;
  /** Browser origins a playback token allows (`aws:access-control-allow-origin`). */
  readonly playbackOrigins: readonly string[];
  /**
   * The IVS recording configuration new channels record with.
   * @default - lectures are not recorded
   */
  readonly recordingConfigurationArn?: string;
}

/** The playback distribution's side of the playback route. */
export interface VideoPlaybackProps {
  /** `https://<host>` the distribution serves, the resource its cookies are signed for. */
  readonly origin: string;
  /** Holds the signing key's private half (PKCS#8 PEM). */
  readonly signingKeySecret: ISecret;
  /** The public key's id in the distribution's key group. */
  readonly keyPairId: string;
  /** Lifetime of playback cookies and material download URLs. */
  readonly lifetime: Duration;
}

/**
 * The HTTP API: every route of the route table with its Lambda, the core service's path prefixes through a
 * VPC link, and the browser sign-in client.
 */
export class ApiStack extends Stack {
  public readonly httpApi: HttpApi;
  public readonly functions: LmsFunction[] = [];
  /** The URL browsers and API clients use. */
  public readonly url: string;
  /** The core service's VPC link's security group: the only source its load balancer admits. */
  public readonly coreServiceLinkSecurityGroup: SecurityGroup;
  /** The upload bucket's ARN as imported here, made once for every upload route. */
  /** Tables with indexes as imported here (the live table, the board's), each made once for all routes. */
  private readonly indexedTables = new Map<TableName, ITable>();

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);

    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'LMS platform API',
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: [...props.allowedOrigins],
        allowCredentials: true,
        allowHeaders: [...CORS_ALLOWED_HEADERS],
        allowMethods: [
          CorsHttpMethod.GET,
          CorsHttpMethod.POST,
          CorsHttpMethod.PUT,
          CorsHttpMethod.PATCH,
          CorsHttpMethod.DELETE,
        ],
        maxAge: Duration.hours(1),
      },
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const apiHost = props.domain ? `api.${props.domain.name}` : undefined;
    const domainName =
      props.domain && apiHost ? this.customDomain(apiHost, props.domain.hostedZoneId) : undefined;
    const stage = new HttpStage(this, 'Stage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      ...(domainName ? { domainMapping: { domainName } } : {}),
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            routeKey: '$context.routeKey',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            sub: '$context.authorizer.sub',
          }),
        ),
      },
    });
    this.url = apiHost ? `https://${apiHost}` : this.httpApi.apiEndpoint;
    const redirectUri = `${this.url}/auth/callback`;

    // The web client lives here, not in the auth stack, because its callback URL is this API's URL.
    const webClient = new UserPoolClient(this, 'WebClient', {
      userPool: props.userPool,
      generateSecret: false,
      authFlows: {},
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: [redirectUri],
        logoutUrls: props.allowedOrigins.map((o) => `${o}/`),
      },
      supportedIdentityProviders: [...props.identityProviders],
      accessTokenValidity: Duration.minutes(SESSION.accessTokenMinutes),
      idTokenValidity: Duration.minutes(SESSION.accessTokenMinutes),
      refreshTokenValidity: Duration.days(SESSION.refreshTokenDays),
      enableTokenRevocation: true,
      preventUserExistenceErrors: true,
    });
    new CfnManagedLoginBranding(this, 'ManagedLoginBranding', {
      userPoolId: props.userPool.userPoolId,
      clientId: webClient.userPoolClientId,
      useCognitoProvidedValues: true,
    });

    const issuer = `https://${props.userPool.userPoolProviderName}`;
    const origins = props.allowedOrigins.join(',');
    const tokenEnv = {
      [ENV.tokenIssuer]: issuer,
      [ENV.tokenJwksUri]: `${issuer}/.well-known/jwks.json`,
      [ENV.tokenClientIds]: webClient.userPoolClientId,
    };
    const authorizerFn = this.addFunction('SessionAuthorizer', 'auth/authorize-request', props.logRetention, {
      ...tokenEnv,
    });
    // Reads the revocation markers logout writes (the logout route's own grant writes them).
    authorizerFn.bindTable(props.tables.authFlow, ENV.authFlowTable, 'read');
    const authorizer = new HttpLambdaAuthorizer('SessionAuthorizer', authorizerFn.function, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      // Cached by the Cookie header, so a page's requests cost one call. API Gateway answers 401 without
      // asking the authorizer when the header is missing, so every client sends its token as the session
      // cookie (API clients too: `Cookie: lms_access=<token>`), and the answer depends on the cookie alone;
      // the Origin of cookie writes is checked by the routes and the core service instead.
      identitySource: ['$request.header.Cookie'],
      resultsCacheTtl: Duration.seconds(SESSION.authorizerCacheSeconds),
    });

    const oauthEnv = {
      [ENV.oauthBaseUrl]: props.oauthBaseUrl,
      [ENV.oauthClientId]: webClient.userPoolClientId,
      [ENV.oauthRedirectUri]: redirectUri,
      ...(props.domain ? { [ENV.cookieDomain]: props.domain.name } : {}),
    };
    const enabled = (route: RouteDef) =>
      route.feature === 'video'
        ? props.video !== undefined
        : route.feature !== 'live' || props.live !== undefined;
    for (const route of routeList.filter(enabled)) {
      const fn = this.addFunction(
        `Route-${route.id}`,
        route.handler,
        props.logRetention,
        {
          // Every route checks the Origin of cookie writes (the cached authorizer cannot); OAuth routes too.
          [ENV.appOrigins]: origins,
          ...(route.oauth ? oauthEnv : {}),
          ...(route.verifiesTokens ? tokenEnv : {}),
        },
        route.timeoutSeconds === undefined ? undefined : Duration.seconds(route.timeoutSeconds),
      );
      for (const [table, access] of Object.entries(route.tables ?? {}) as [
        TableName,
        'read' | 'readWrite',
      ][]) {
        fn.bindTable(this.tableOf(table, props), ENV[`${table}Table`], access);
        this.acknowledgeIndexes(fn, table);
      }
      if (route.buckets?.upload === 'readWrite' && props.video) this.bindUploadBucket(fn, props.video);
      if (route.buckets?.upload === 'read' && props.video) this.bindMaterialReads(fn, props.video);
      if (route.buckets?.certificates === 'read') this.bindCertificateReads(fn, props.certificatesBucket);
      if (route.unsubscribeKey) {
        fn.function.addEnvironment(NOTIFICATIONS.env.unsubscribeSecretArn, props.unsubscribeSecret.secretArn);
        props.unsubscribeSecret.grantRead(fn.role);
      }
      if (route.signsPlayback && props.video) {
        this.bindPlayback(fn, props.video.playback, props.domain);
      }
      if (route.feature === 'live' && props.live) this.bindLive(fn, route, props.live);
      if (route.cognito) this.bindUserPool(fn, route.cognito, props.userPool);
      if (route.publishes) {
        fn.function.addEnvironment(EVENTS.busNameEnv, props.eventBus.eventBusName);
        props.eventBus.grantPutEventsTo(fn.role);
      }
      const [apiRoute] = this.httpApi.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`Integration-${route.id}`, fn.function),
        ...(route.access === 'public' ? {} : { authorizer }),
      });
      if (route.access === 'public' && apiRoute) {
        Validations.of(apiRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `Public by design in the route table: ${route.summary}.`,
        });
      }
    }

    // Routes with a throttle of their own (public ones that must not be tried at speed), below the stage's.
    const routeSettings = Object.fromEntries(
      routeList
        .filter(enabled)
        .flatMap((route) =>
          route.throttle
            ? [
                [
                  `${route.method} ${route.path}`,
                  { ThrottlingRateLimit: route.throttle.rate, ThrottlingBurstLimit: route.throttle.burst },
                ],
              ]
            : [],
        ),
    );
    (stage.node.defaultChild as CfnStage).routeSettings = routeSettings;

    this.coreServiceLinkSecurityGroup = this.routeToCoreService(props, authorizer);

    new CfnOutput(this, 'ApiUrl', { value: this.url });
    new CfnOutput(this, 'WebClientId', { value: webClient.userPoolClientId });
  }

  /**
   * Sends every path under the core service's prefixes, unchanged, to its internal ALB through a VPC link,
   * behind the same authorizer (the service verifies the token again itself).
   */
  private routeToCoreService(props: ApiStackProps, authorizer: HttpLambdaAuthorizer): SecurityGroup {
    // A link of its own with its own security group: without one, the link would get the VPC's default
    // group, which the network stack locks down (restrictDefaultSecurityGroup), and no request would pass.
    const linkSecurityGroup = new SecurityGroup(this, 'CoreServiceLinkSecurityGroup', {
      vpc: props.vpc,
      description: 'API Gateway VPC link: HTTP to the core service load balancer only',
      allowAllOutbound: false,
    });
    // Written from the link's side on purpose: both rules then live in this stack (the ALB group's ingress
    // as an AWS::EC2::SecurityGroupIngress), while allowing it from the ALB's side would put them in the
    // core-service stack, which would then depend on this one (a cycle, since this stack uses its listener).
    linkSecurityGroup.connections.allowTo(
      props.coreService.albSecurityGroup,
      Port.tcp(80), // the listener's port (plain HTTP; see the core-service stack)
      'API Gateway VPC link to the core service',
    );
    const vpcLink = new VpcLink(this, 'CoreServiceVpcLink', {
      vpc: props.vpc,
      subnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [linkSecurityGroup],
    });
    // One integration for every route. The path goes as sent; the request id header is API Gateway's own
    // (whatever a client sent), so the service's log lines and problem answers carry the id in the access log.
    const integration = new HttpAlbIntegration('CoreService', props.coreService.listener, {
      vpcLink,
      parameterMapping: new ParameterMapping().overwriteHeader(
        CORE_SERVICE.requestIdHeader,
        MappingValue.contextVariable('requestId'),
      ),
    });
    for (const prefix of CORE_SERVICE.pathPrefixes) {
      for (const path of [prefix, `${prefix}/{proxy+}`]) {
        this.httpApi.addRoutes({ path, methods: [HttpMethod.ANY], integration, authorizer });
      }
    }
    // The platform's health is the service's answer about its database, open to uptime monitors.
    const [health] = this.httpApi.addRoutes({
      path: CORE_SERVICE.healthPath,
      methods: [HttpMethod.GET],
      integration,
    });
    Validations.of(health!).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: 'Public by design: uptime monitors read the platform’s health without signing in.',
    });
    return linkSecurityGroup;
  }

  /**
   * What the upload sessions do with the bucket, nothing more: CreateMultipartUpload, UploadPart (presigned
   * for the browser, so signed with this role) and CompleteMultipartUpload are all `s3:PutObject`; resuming
   * lists parts; refusing or abandoning aborts. No GetObject or DeleteObject: a finished file is never read
   * or removed through the API.
   */
  private bindUploadBucket(fn: LmsFunction, video: NonNullable<ApiStackProps['video']>): void {
    const { uploadBucket, maxUploadBytes, monthlyTranscodeMinutes } = video;
    fn.function.addEnvironment(VOD.env.uploadBucket, uploadBucket.bucketName);
    fn.function.addEnvironment(VOD.env.maxUploadBytes, String(maxUploadBytes));
    fn.function.addEnvironment(VOD.env.monthlyTranscodeMinutes, String(monthlyTranscodeMinutes));
    const prefixes = Object.values(VOD.uploadPrefixes);
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:PutObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
        resources: prefixes.map((p) => `${exportedBucketArn(uploadBucket, UPLOAD_BUCKET_EXPORT).arn}/${p}*`),
      }),
    );
    Validations.of(fn.role).acknowledge(
      ...prefixes.map((p) => ({
        id: `AwsSolutions-IAM5[Resource::${exportedBucketArn(uploadBucket, UPLOAD_BUCKET_EXPORT).exportName}/${p}*]`,
        reason:
          'Every upload has its own key under its kind; the prefix is the narrowest scope covering them.',
      })),
    );
  }

  /**
   * Materials are downloaded straight from the upload bucket through presigned GETs (signed with this role),
   * after the function lists a content's prefix to find its newest file; videos are never read this way.
   */
  private bindMaterialReads(fn: LmsFunction, video: NonNullable<ApiStackProps['video']>): void {
    const { uploadBucket, playback } = video;
    const prefix = VOD.uploadPrefixes.material;
    fn.function.addEnvironment(VOD.env.uploadBucket, uploadBucket.bucketName);
    fn.function.addEnvironment(VOD.env.playbackSeconds, String(playback.lifetime.toSeconds()));
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [`${exportedBucketArn(uploadBucket, UPLOAD_BUCKET_EXPORT).arn}/${prefix}*`],
      }),
    );
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [exportedBucketArn(uploadBucket, UPLOAD_BUCKET_EXPORT).arn],
        conditions: { StringLike: { 's3:prefix': `${prefix}*` } },
      }),
    );
    Validations.of(fn.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${exportedBucketArn(uploadBucket, UPLOAD_BUCKET_EXPORT).exportName}/${prefix}*]`,
      reason: 'Every material has its own key under the materials prefix; no video is readable.',
    });
  }

  /** Reads of certificate documents, which the route presigns for its callers; nothing else of the bucket. */
  private bindCertificateReads(fn: LmsFunction, bucket: IBucket): void {
    const { arn, exportName } = exportedBucketArn(bucket, 'CertificatesBucketArn');
    fn.function.addEnvironment(CERTIFICATES.env.bucket, bucket.bucketName);
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [`${arn}/${CERTIFICATES.keyPrefix}*`] }),
    );
    Validations.of(fn.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${exportName}/${CERTIFICATES.keyPrefix}*]`,
      reason:
        'Each certificate has its own key under the certificates prefix; the route presigns one per call.',
    });
  }

  /** The signing key (read only) and what the cookies are for: the distribution's origin and their domain. */
  private bindPlayback(fn: LmsFunction, playback: VideoPlaybackProps, domain: ApiStackProps['domain']): void {
    fn.function.addEnvironment(VOD.env.playbackOrigin, playback.origin);
    fn.function.addEnvironment(VOD.env.signingKeySecretArn, playback.signingKeySecret.secretArn);
    fn.function.addEnvironment(VOD.env.signingKeyPairId, playback.keyPairId);
    fn.function.addEnvironment(VOD.env.playbackSeconds, String(playback.lifetime.toSeconds()));
    if (domain) fn.function.addEnvironment(ENV.cookieDomain, domain.name);
    playback.signingKeySecret.grantRead(fn.role);
  }

  /**
   * A table of the data stack, or the live stack's for `live`. A table with indexes comes through an export
   * named here, as the upload bucket's: the grant covers its indexes (`<arn>/index/*`), a finding cdk-nag
   * names by the export it reads, and a generated export name is no name to acknowledge.
   */
  private tableOf(table: TableName, props: ApiStackProps): ITable {
    const source = table === 'live' ? props.live?.table : props.tables[table as CoreTableName];
    if (!source) throw new Error('A route uses the live table, but the api stack has no live props');
    if (!('indexes' in TABLES[table])) return source;
    let imported = this.indexedTables.get(table);
    if (!imported) {
      const name = `${table[0]!.toUpperCase()}${table.slice(1)}Table`;
      let arn = TABLE_EXPORTS.get(source);
      if (!arn) {
        arn = Stack.of(source).exportValue(source.tableArn, {
          name: `${Stack.of(source).stackName}:${name}Arn`,
        });
        TABLE_EXPORTS.set(source, arn);
      }
      this.addStackDependency(Stack.of(source));
      imported = TableV2.fromTableAttributes(this, name, { tableArn: arn, grantIndexPermissions: true });
      this.indexedTables.set(table, imported);
    }
    return imported;
  }

  /** Acknowledges the grant on a table's indexes, which the route's queries need. */
  private acknowledgeIndexes(fn: LmsFunction, table: TableName): void {
    const imported = this.indexedTables.get(table);
    if (!imported) return;
    const indexes = Object.keys((TABLES[table] as TableSpec).indexes ?? {});
    Validations.of(fn.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResource(this, imported.tableArn)}/index/*]`,
      reason: `The ${table} table’s ${indexes.length === 1 ? 'index' : `${indexes.length} indexes`} (${indexes.join(', ')}), which its routes query.`,
    });
  }

  /**
   * A lecture route: the name prefix; exactly its IVS actions, on the platform's channels, stream keys or
   * rooms; the recording configuration where it makes channels; and, where it signs playback tokens, the
   * playback key (read only) and the origins the tokens allow.
   */
  private bindLive(fn: LmsFunction, route: RouteDef, live: LiveApiProps): void {
    fn.function.addEnvironment(LIVE.env.namePrefix, live.namePrefix);
    // Where Powertools Metrics puts the live metrics the monitoring stack alarms on (quiz send failures).
    fn.function.addEnvironment('POWERTOOLS_METRICS_NAMESPACE', LIVE_METRICS.namespace);
    const actions = route.ivs ?? [];
    if (live.recordingConfigurationArn && actions.some((a) => CHANNEL_WRITES.includes(a))) {
      // CreateChannel is authorized on the channel and its stream key only (no recording-configuration
      // resource, no dependent action), so naming the configuration needs no further grant.
      fn.function.addEnvironment(LIVE.env.recordingConfigurationArn, live.recordingConfigurationArn);
    }
    this.grantIvs(fn, actions);
    if (route.signsLivePlayback) {
      fn.function.addEnvironment(LIVE.env.playbackKeySecretArn, live.playbackKeySecret.secretArn);
      fn.function.addEnvironment(LIVE.env.playbackOrigins, live.playbackOrigins.join(','));
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['secretsmanager:GetSecretValue'],
          resources: [live.playbackKeySecret.secretArn],
        }),
      );
    }
  }

  /** Exactly the route's Cognito admin actions, on the platform's pool alone, and the pool's id. */
  private bindUserPool(fn: LmsFunction, actions: readonly CognitoAction[], userPool: IUserPool): void {
    fn.function.addEnvironment(ENV.userPoolId, userPool.userPoolId);
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: [...actions], resources: [userPool.userPoolArn] }),
    );
  }

  /** One statement per set of resource types, each with the route's actions on exactly those types. */
  private grantIvs(fn: LmsFunction, actions: readonly IvsAction[]): void {
    const bySet = new Map<string, { types: readonly IvsResourceType[]; actions: IvsAction[] }>();
    for (const action of actions) {
      const types = IVS_RESOURCE_TYPES[action];
      const key = types.join(',');
      const group = bySet.get(key) ?? { types, actions: [] };
      group.actions.push(action);
      bySet.set(key, group);
    }
    const arnOf = (type: IvsResourceType) =>
      this.formatArn({ service: type === 'room' ? 'ivschat' : 'ivs', resource: type, resourceName: '*' });
    for (const { types, actions: grouped } of bySet.values()) {
      fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: grouped, resources: types.map(arnOf) }));
    }
    const types = [...new Set([...bySet.values()].flatMap((g) => g.types))];
    if (types.length > 0) {
      Validations.of(fn.role).acknowledge(
        ...types.map((type) => ({
          id: `AwsSolutions-IAM5[Resource::${nagResource(this, arnOf(type))}]`,
          reason: `IVS names every ${type} at runtime (one per lecture); only the route’s own actions are granted.`,
        })),
      );
    }
  }

  private addFunction(
    id: string,
    handler: string,
    logRetention: RetentionDays,
    environment: Record<string, string>,
    timeout?: Duration,
  ) {
    const fn = new LmsFunction(this, id, {
      handler,
      serviceName: handler.split('/')[0] ?? 'api',
      logRetention,
      environment,
      ...(timeout ? { timeout } : {}),
    });
    this.functions.push(fn);
    return fn;
  }

  private customDomain(host: string, hostedZoneId: string): DomainName {
    const zoneName = host.slice('api.'.length);
    const zone = HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId, zoneName });
    const certificate = new Certificate(this, 'Certificate', {
      domainName: host,
      validation: CertificateValidation.fromDns(zone),
    });
    const domainName = new DomainName(this, 'DomainName', { domainName: host, certificate });
    new ARecord(this, 'ApiAlias', {
      zone,
      recordName: host,
      target: RecordTarget.fromAlias(
        new ApiGatewayv2DomainProperties(domainName.regionalDomainName, domainName.regionalHostedZoneId),
      ),
    });
    return domainName;
  }
}
