import { type App, Aspects, Aws, Duration, Tags } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { defaultLocaleFor } from '#contracts/notifications';
import { BoundedCustomResources } from './bounded-custom-resources';
import {
  complianceOf,
  type InstitutionConfig,
  notificationSenderOf,
  selfSignUpOf,
} from './config/institution-config';
import { AccessStack } from './stacks/access-stack';
import { AnalyticsStack } from './stacks/analytics-stack';
import { ApiStack } from './stacks/api-stack';
import { AuthStack } from './stacks/auth-stack';
import { CoreServiceStack } from './stacks/core-service-stack';
import { DataStack } from './stacks/data-stack';
import { CLOUDFRONT_CERTIFICATE_REGION, EdgeStack } from './stacks/edge-stack';
import { LiveStack } from './stacks/live-stack';
import { MonitoringStack } from './stacks/monitoring-stack';
import { NetworkStack } from './stacks/network-stack';
import { PlaybackAlarmStack } from './stacks/playback-alarm-stack';
import { UsersStack } from './stacks/users-stack';
import { CertificatesStack } from './stacks/certificates-stack';
import { NotificationsStack } from './stacks/notifications-stack';
import { VodStack } from './stacks/vod-stack';
import { WebStack } from './stacks/web-stack';

export interface Platform {
  readonly auth: AuthStack;
  readonly network: NetworkStack;
  readonly data: DataStack;
  readonly access: AccessStack;
  /** Cognito groups that follow the core's memberships. */
  readonly users: UsersStack;
  readonly coreService: CoreServiceStack;
  readonly api: ApiStack;
  /** Certificates of completion: each completion's number and document. */
  readonly certificates: CertificatesStack;
  /** Notifications: the inbox's writer and e-mail through SES. */
  readonly notifications: NotificationsStack;
  readonly monitoring: MonitoringStack;
  /** The browser app on CloudFront, at `app.<domain>` with a domain. */
  readonly web: WebStack;
}

/**
 * Stacks that exist only when their feature is on in the config. An absent stack has no key at all (never
 * an `undefined` value), so code that walks every stack of the platform sees only real ones.
 */
export interface FeatureStacks {
  /** `features.video`: uploads, transcoding and playback. */
  readonly vod?: VodStack;
  /** A `domain`: the app's and (with `features.video`) the playback's certificates, in us-east-1 for CloudFront. */
  readonly edge?: EdgeStack;
  /** `features.video` on a platform bound to a region other than us-east-1: the playback 5xx alarm. */
  readonly playbackAlarm?: PlaybackAlarmStack;
  /** `features.liveLectures`: the live table, recordings, the playback key and IVS's event handlers. */
  readonly live?: LiveStack;
  /** `analytics.export.enabled`: the bus's events as Parquet in S3, a Glue table and an Athena workgroup. */
  readonly analytics?: AnalyticsStack;
}

/** Creates every stack of one institution's platform from its validated config. */
export function buildPlatform(app: App, config: InstitutionConfig): Platform & FeatureStacks {
  const { slug } = config.institution;
  const env =
    config.account || config.region ? { account: config.account, region: config.region } : undefined;
  const common = { env, logRetention: config.retention.logDays as RetentionDays };
  const name = (stack: string) => `${slug}-${stack}`;
  // Tells one account's forks and stages apart in names that must be unique in an account and region.
  const namePrefix = `lms-${slug}-${config.stage}`;
  // With a domain the app is served at app.<domain>, and its origin leads the browser origins every stack
  // allows: the API's CORS, its sign-in return URLs and cookie-write Origin checks, the video's CORS. First,
  // because the first origin is where sign-in returns by default and what the notification e-mails link to.
  // Cost allocation tags: a shared account's bill splits by institution and stage (the budget counts what
  // carries both) and, within a platform, by stack.
  const platformTags = { 'lms:institution': slug, 'lms:stage': config.stage };
  const appHost = config.domain ? `app.${config.domain.name}` : undefined;
  const allowedOrigins = appHost
    ? [`https://${appHost}`, ...config.cors.allowedOrigins.filter((o) => o !== `https://${appHost}`)]
    : config.cors.allowedOrigins;

  const auth = new AuthStack(app, name('auth'), {
    ...common,
    description: `${config.institution.name}: sign-in, roles and identity providers`,
    namePrefix,
    ...(config.auth.domainPrefix ? { domainPrefix: config.auth.domainPrefix } : {}),
    selfSignUp: selfSignUpOf(config),
    ...(config.auth.email ? { email: config.auth.email } : {}),
    mfa: config.auth.mfa,
    identityProviders: config.auth.identityProviders,
    keepStatefulData: config.retention.keepStatefulData,
  });
  const network = new NetworkStack(app, name('network'), {
    ...common,
    description: `${config.institution.name}: VPC`,
    natGateways: config.sizing.network.natGateways,
    interfaceEndpoints: config.sizing.network.interfaceEndpoints,
    availabilityZones: config.availabilityZones,
  });
  const data = new DataStack(app, name('data'), {
    ...common,
    description: `${config.institution.name}: PostgreSQL and DynamoDB (stateful)`,
    vpc: network.vpc,
    database: config.sizing.database,
    backupDays: config.retention.backupDays,
    keepStatefulData: config.retention.keepStatefulData,
  });
  const access = new AccessStack(app, name('access'), {
    ...common,
    description: `${config.institution.name}: the access projection (who may upload or watch a content)`,
    eventBus: data.eventBus,
    accessTable: data.tables.access,
    keepStatefulData: config.retention.keepStatefulData,
  });
  const users = new UsersStack(app, name('users'), {
    ...common,
    description: `${config.institution.name}: Cognito groups kept in step with the core's memberships`,
    eventBus: data.eventBus,
    usersTable: data.tables.users,
    userPool: auth.userPool,
    keepStatefulData: config.retention.keepStatefulData,
  });
  const coreService = new CoreServiceStack(app, name('core-service'), {
    ...common,
    description: `${config.institution.name}: core REST service on Fargate behind an internal ALB`,
    vpc: network.vpc,
    database: data.database,
    databaseSecret: data.database.secret!,
    appSecret: data.appSecret,
    sizing: config.sizing.service,
    keepStatefulData: config.retention.keepStatefulData,
    userPoolProviderName: auth.userPool.userPoolProviderName,
    eventBus: data.eventBus,
    compliance: complianceOf(config),
    allowedOrigins,
    auditArchiveBucket: data.auditArchiveBucket,
    auditArchiveKeepMonths: config.audit.archive.keepMonths,
  });
  // The API's session cookies and the signed playback cookies are set for the parent domain, so the app and
  // the video distribution must be served under it; CloudFront takes their certificates only from us-east-1.
  const edge =
    config.domain && appHost
      ? new EdgeStack(app, name('edge'), {
          env: { account: config.account, region: CLOUDFRONT_CERTIFICATE_REGION },
          crossRegionReferences: true,
          description: `${config.institution.name}: the web app's and video playback's certificates (CloudFront reads us-east-1)`,
          appHost,
          ...(config.features.video ? { playbackHost: `video.${config.domain.name}` } : {}),
          zone: { zoneName: config.domain.name, hostedZoneId: config.domain.hostedZoneId },
        })
      : undefined;
  // The monitoring stack alarms on CloudFront itself when bound to us-east-1; an environment-agnostic synth
  // cannot reference across regions, so it has no 5xx alarm at all.
  const playbackAlarmElsewhere = Boolean(config.region && config.region !== CLOUDFRONT_CERTIFICATE_REGION);
  // Before the api stack, whose upload routes write into its bucket.
  const vod = config.features.video
    ? new VodStack(app, name('vod'), {
        ...common,
        description: `${config.institution.name}: video uploads, transcoding and playback`,
        eventBus: data.eventBus,
        idempotencyTable: data.tables.idempotency,
        accessTable: data.tables.access,
        allowedOrigins,
        keepStatefulData: config.retention.keepStatefulData,
        video: config.video,
        ...(edge?.playbackDomain ? { playbackDomain: edge.playbackDomain } : {}),
        // Read by, or reading from, a us-east-1 stack: the edge stack's certificate, the playback alarm.
        ...(edge || playbackAlarmElsewhere ? { crossRegionReferences: true } : {}),
      })
    : undefined;
  // Before the api stack, whose lecture routes use its table and playback key; it never uses the api stack.
  const live = config.features.liveLectures
    ? new LiveStack(app, name('live'), {
        ...common,
        description: `${config.institution.name}: live lectures (IVS recordings, playback key, stream events)`,
        eventBus: data.eventBus,
        namePrefix,
        keepStatefulData: config.retention.keepStatefulData,
        playbackKeyRotation: config.live.playbackKeyRotation,
        ...(config.live.recording
          ? {
              recording: {
                retentionDays: config.live.recordingRetentionDays,
                ...(vod ? { playbackBucket: vod.outputBucket } : {}),
              },
            }
          : {}),
      })
    : undefined;
  const api = new ApiStack(app, name('api'), {
    ...common,
    description: `${config.institution.name}: HTTP API, its Lambda routes and the VPC link to the core service`,
    userPool: auth.userPool,
    eventBus: data.eventBus,
    oauthBaseUrl: auth.oauthBaseUrl,
    identityProviders: auth.clientIdentityProviders,
    tables: data.tables,
    certificatesBucket: data.certificatesBucket,
    unsubscribeSecret: data.unsubscribeSecret,
    allowedOrigins,
    domain: config.domain,
    throttle: config.sizing.api,
    vpc: network.vpc,
    coreService: {
      listener: coreService.listener,
      albSecurityGroup: coreService.albSecurityGroup,
    },
    ...(vod
      ? {
          video: {
            uploadBucket: vod.uploadBucket,
            maxUploadBytes: config.video.maxUploadGiB * 1024 ** 3,
            monthlyTranscodeMinutes: config.video.monthlyTranscodeMinutes,
            playback: {
              origin: vod.playbackUrl,
              signingKeySecret: vod.signingKeySecret,
              keyPairId: vod.signingKeyPairId,
              lifetime: Duration.minutes(config.video.playbackCookieMinutes),
            },
          },
        }
      : {}),
    ...(live
      ? {
          live: {
            table: live.table,
            playbackKeySecret: live.playbackKeySecret,
            namePrefix: live.namePrefix,
            // Players on the web apps' origins; a token names them as `aws:access-control-allow-origin`.
            playbackOrigins: allowedOrigins,
            ...(live.recordingConfigurationArn
              ? { recordingConfigurationArn: live.recordingConfigurationArn }
              : {}),
          },
        }
      : {}),
  });
  const certificates = new CertificatesStack(app, name('certificates'), {
    ...common,
    description: `${config.institution.name}: certificates of completion, numbered and rendered as completions happen`,
    eventBus: data.eventBus,
    table: data.tables.certificates,
    bucket: data.certificatesBucket,
    userPool: auth.userPool,
    verifyBaseUrl: `${api.url}/verify`,
    keepStatefulData: config.retention.keepStatefulData,
  });
  const sender = notificationSenderOf(config);
  const { timeZone } = complianceOf(config);
  const notifications = new NotificationsStack(app, name('notifications'), {
    ...common,
    description: `${config.institution.name}: notifications in the app and by e-mail (SES)`,
    eventBus: data.eventBus,
    table: data.tables.notifications,
    accessTable: data.tables.access,
    userPool: auth.userPool,
    unsubscribeSecret: data.unsubscribeSecret,
    ...(sender
      ? {
          email: {
            ...sender,
            configurationSetName: config.notifications.configurationSetName ?? `${namePrefix}-notifications`,
            unsubscribeBaseUrl: `${api.url}/unsubscribe`,
            appUrl: allowedOrigins[0]!,
          },
        }
      : {}),
    timeZone,
    defaultLocale: defaultLocaleFor(timeZone),
    keepStatefulData: config.retention.keepStatefulData,
  });
  // After the api and vod stacks, whose origins it names; neither depends on it.
  const web = new WebStack(app, name('web'), {
    ...common,
    description: `${config.institution.name}: the web app on CloudFront`,
    app: {
      apiUrl: api.url,
      institutionName: config.institution.name,
      defaultLocale: defaultLocaleFor(timeZone),
      // IVS Chat's socket is in the live stack's region; quizzes arrive inside the stream.
      ...(live
        ? { live: { chat: config.region ?? Aws.REGION, quizFeed: { kind: 'timed-metadata' as const } } }
        : {}),
    },
    ...(vod
      ? {
          videoOrigin: vod.playbackUrl,
          // Presigned URLs name the bucket's virtual-hosted regional endpoint.
          uploadOrigin: `https://${vod.uploadBucket.bucketRegionalDomainName}`,
        }
      : {}),
    ...(edge ? { domain: edge.appDomain, crossRegionReferences: true } : {}),
  });
  const monitoring = new MonitoringStack(app, name('monitoring'), {
    env,
    description: `${config.institution.name}: dashboard and alarms`,
    namePrefix,
    // Dashboards' names are account-wide: the region tells apart one slug's platforms in two regions.
    dashboardNamePrefix: `${namePrefix}-${config.region ?? Aws.REGION}`,
    alarmEmail: config.alarmEmail,
    budget: {
      // Budgets' names are account-wide: the region tells apart one slug's platforms in two regions.
      budgetName: `${namePrefix}-${config.region ?? Aws.REGION}-monthly`,
      monthlyLimitUsd: config.cost.monthlyBudgetUsd,
      tags: platformTags,
    },
    httpApi: api.httpApi,
    functions: [
      ...api.functions,
      ...auth.functionsForMonitoring,
      ...access.functionsForMonitoring,
      ...users.functionsForMonitoring,
      ...certificates.functionsForMonitoring,
      ...notifications.functionsForMonitoring,
      ...(vod?.functionsForMonitoring ?? []),
      ...(live?.functionsForMonitoring ?? []),
    ].map((f) => f.function),
    database: data.database,
    accessProjection: {
      queue: access.projection.queue,
      deadLetterQueue: access.projection.deadLetterQueue,
    },
    groupSync: {
      queue: users.groupSync.queue,
      deadLetterQueue: users.groupSync.deadLetterQueue,
    },
    certificateIssuer: {
      queue: certificates.issuer.queue,
      deadLetterQueue: certificates.issuer.deadLetterQueue,
    },
    notifier: {
      queue: notifications.notifier.queue,
      deadLetterQueue: notifications.notifier.deadLetterQueue,
    },
    coreService: {
      service: coreService.service,
      loadBalancer: coreService.loadBalancer,
      targetGroup: coreService.targetGroup,
      eventsQueue: coreService.eventsQueue,
      eventsDeadLetterQueue: coreService.eventsDeadLetterQueue,
    },
    ...(vod
      ? {
          vod: {
            distribution: vod.distribution,
            mediaConvertQueueArn: vod.mediaConvertQueueArn,
            transcodeDeadLetterQueue: vod.transcodeDeadLetterQueue,
            jobStateDeadLetterQueue: vod.jobStateDeadLetterQueue,
          },
        }
      : {}),
    ...(live ? { live: { deadLetterQueues: live.deadLetterQueues } } : {}),
  });

  // Reads the bus only; nothing depends on it, so turning it off deletes the stack alone.
  const analytics = config.analytics.export.enabled
    ? new AnalyticsStack(app, name('analytics'), {
        ...common,
        description: `${config.institution.name}: the platform's events as Parquet in S3, with a Glue table and an Athena workgroup`,
        eventBus: data.eventBus,
        namePrefix,
        keepStatefulData: config.retention.keepStatefulData,
        retentionDays: config.analytics.export.retentionDays,
        bufferSeconds: config.analytics.export.bufferSeconds,
        bytesScannedCutoffGiB: config.analytics.athena.bytesScannedCutoffGiB,
        resultRetentionDays: config.analytics.athena.resultRetentionDays,
        alarmTopic: monitoring.alarmTopic,
      })
    : undefined;

  const playbackAlarm =
    vod && playbackAlarmElsewhere
      ? new PlaybackAlarmStack(app, name('playback-alarm'), {
          env: { account: config.account, region: CLOUDFRONT_CERTIFICATE_REGION },
          crossRegionReferences: true,
          description: `${config.institution.name}: the video playback 5xx alarm (CloudFront metrics are in us-east-1)`,
          distributionId: vod.distribution.distributionId,
          alarmEmail: config.alarmEmail,
        })
      : undefined;

  // CloudFormation waits an hour for a custom resource that never answers; CDK's own ones get a bound here.
  Aspects.of(app).add(new BoundedCustomResources());
  const stacks = {
    auth,
    network,
    data,
    access,
    users,
    coreService,
    api,
    certificates,
    notifications,
    monitoring,
    web,
    ...(vod ? { vod } : {}),
    ...(edge ? { edge } : {}),
    ...(playbackAlarm ? { playbackAlarm } : {}),
    ...(live ? { live } : {}),
    ...(analytics ? { analytics } : {}),
  };
  for (const stack of Object.values(stacks)) {
    const tags = { ...platformTags, 'lms:stack': stack.node.id.slice(slug.length + 1) };
    for (const [key, value] of Object.entries(tags)) {
      // On the stack, CloudFormation tags every resource that takes tags, also those CDK's aspect cannot
      // reach; on the resources, the templates show them (cdk.json's explicitStackTags keeps the two apart).
      stack.tags.setTag(key, value);
      Tags.of(stack).add(key, value);
    }
  }
  return stacks;
}
