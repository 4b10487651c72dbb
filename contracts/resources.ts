/**
 * Names shared by the infrastructure (which creates resources and sets environment variables) and the
 * runtimes (Lambda handlers, the core service and the local runner, which read them). Pure data: importing this module
 * pulls in neither aws-cdk-lib nor any handler.
 */

/** The five roles; each is a Cognito group of the same name. */
export const ROLES = [
  'platform-admin',
  'institution-manager',
  'instructor',
  'company-manager',
  'learner',
] as const;
export type Role = (typeof ROLES)[number];

/** Environment variables the platform sets on functions. */
export const ENV = {
  /** DynamoDB table holding one-time OAuth sign-in state and logged-out sessions. */
  authFlowTable: 'AUTH_FLOW_TABLE_NAME',
  /** DynamoDB table of idempotency records (Powertools). */
  idempotencyTable: 'IDEMPOTENCY_TABLE_NAME',
  /** DynamoDB table of the access projection. */
  accessTable: 'ACCESS_TABLE_NAME',
  /** Base URL of the OAuth 2.0 server: Cognito's managed login domain, or the local issuer. */
  oauthBaseUrl: 'OAUTH_BASE_URL',
  oauthClientId: 'OAUTH_CLIENT_ID',
  /** Absolute URL of GET /auth/callback as the browser reaches it. */
  oauthRedirectUri: 'OAUTH_REDIRECT_URI',
  /** Issuer and JWKS of the access tokens the authorizer accepts. */
  tokenIssuer: 'TOKEN_ISSUER',
  tokenJwksUri: 'TOKEN_JWKS_URI',
  /** Comma-separated client ids whose access tokens are accepted. */
  tokenClientIds: 'TOKEN_CLIENT_IDS',
  /** Parent domain for session cookies; unset means host-only cookies. */
  cookieDomain: 'COOKIE_DOMAIN',
  /** Comma-separated browser origins allowed to call the API with session cookies. */
  appOrigins: 'APP_ORIGINS',
  /** DynamoDB table of live lectures (contracts/live.ts). */
  liveTable: 'LIVE_TABLE_NAME',
  /** DynamoDB table of the course boards (contracts/board.ts). */
  boardTable: 'BOARD_TABLE_NAME',
  /** DynamoDB table of learners' notes on videos (contracts/notes.ts). */
  notesTable: 'NOTES_TABLE_NAME',
  /** DynamoDB table of the users domain: the newest membership fact per person and scope. */
  usersTable: 'USERS_TABLE_NAME',
  /** The Cognito user pool the users domain administers (groups, invitations, profiles). */
  userPoolId: 'USER_POOL_ID',
  /** DynamoDB table of the certificates domain (contracts/certificates.ts). */
  certificatesTable: 'CERTIFICATES_TABLE_NAME',
  /** DynamoDB table of the notifications domain (contracts/notifications.ts). */
  notificationsTable: 'NOTIFICATIONS_TABLE_NAME',
} as const;

/** A DynamoDB table's key layout (string keys), its secondary indexes and its TTL attribute, if any. */
export interface TableSpec {
  readonly partitionKey: string;
  readonly sortKey?: string;
  readonly timeToLiveAttribute?: string;
  /** Global secondary indexes (all attributes projected), by name. @default none */
  readonly indexes?: Readonly<Record<string, { readonly partitionKey: string; readonly sortKey?: string }>>;
  /**
   * The feature whose stack owns the table (created only with it, and not by the data stack).
   * @default - the data stack's, always there
   */
  readonly feature?: 'live';
}

/** Key layout of each DynamoDB table, so the data stack and the local runner create identical tables. */
export const TABLES = {
  /**
   * The browser sign-in's short-lived state, every item gone by its `expiresAt` (epoch seconds): a started
   * sign-in's state and PKCE verifier (`signin#<state>`, consumed by the callback) and a logged-out session
   * (`revoked#<origin_jti or jti>`, written by logout, read by the API's authorizer, kept until every access
   * token of that session has expired).
   */
  authFlow: { partitionKey: 'pk', timeToLiveAttribute: 'expiresAt' },
  /** Powertools idempotency records: an event handled once, however often it is delivered. */
  idempotency: { partitionKey: 'pk', timeToLiveAttribute: 'expiresAt' },
  /**
   * The users domain's memberships, kept from the core's member facts so that Cognito groups follow them
   * and invitations know who manages what: `user#<sub>` / `institution#<id>` or `company#<id>`, each the
   * newest fact for that person and scope (`{ role }` or the tombstone `{ removed: true }`), ordered by
   * `order` (occurredAt#eventId) so a late fact never overwrites a newer one.
   */
  users: { partitionKey: 'pk', sortKey: 'sk' },
  /**
   * The access projection: who may upload to or watch a content, kept from the core's events so Lambdas
   * decide without the core database. Items: `content#<id>`/`meta`, `institution#<id>`/`member#<sub>`,
   * `course#<id>`/`learner#<sub>`. Beside them, the video pipeline's own: upload sessions
   * (`upload#<id>`/`meta`), each institution's transcoded minutes per UTC month
   * (`institution#<id>`/`transcode-minutes#<yyyy-mm>`) and the videos counted in them (`transcode#<digest>`/`meta`).
   */
  access: { partitionKey: 'pk', sortKey: 'sk' },
  /**
   * Live lectures (the live stack's, with `features.liveLectures`): `lecture#<id>` / `meta` (the lecture, its
   * channel and room, its seat count), `seat#<sub>` (a learner's join and presence), `quiz#<id>` (a quiz and
   * when it was sent), `answer#<quizId>#<sub>` (one answer each); `limiter#<channelArn>` / `metadata` (the
   * next free PutMetadata slot of a channel). Indexes in LIVE.indexes (contracts/live.ts).
   */
  live: {
    partitionKey: 'pk',
    sortKey: 'sk',
    feature: 'live',
    indexes: {
      byProvision: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
      byChannel: { partitionKey: 'channelArn' },
      bySweepState: { partitionKey: 'sweepState', sortKey: 'startsAt' },
    },
  },
  /**
   * The course boards: `post#<id>` / `meta` (a notice or question, its counts and answered state),
   * `comment#<id>` (comments, ids ordered by time), `view#<sub>` (one reader's view, counted once);
   * `idempotency#<derived id>` / `meta` (which post or comment a caller's Idempotency-Key made, and a digest of
   * the request). Indexes in BOARD_INDEXES (contracts/board.ts).
   */
  board: {
    partitionKey: 'pk',
    sortKey: 'sk',
    indexes: {
      byBoard: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
      byAuthor: { partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
      byVideo: { partitionKey: 'gsi3pk', sortKey: 'gsi3sk' },
    },
  },
  /**
   * Learners' notes on videos, the notes domain's own (no other domain reads a learner's private notes):
   * `note#<id>` / `meta` (the note as it is now, or its tombstone) and `version#<n>` (each version an edit or
   * the delete replaced); `idempotency#<derived id>` / `meta` (which note a caller's Idempotency-Key made).
   * Index in NOTES_INDEXES (contracts/notes.ts).
   */
  notes: {
    partitionKey: 'pk',
    sortKey: 'sk',
    indexes: { byCourse: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' } },
  },
  /**
   * Certificates of completion, the certificates domain's own: `certificate#<number>` / `meta` (what the
   * document says, where it is kept, and a revocation) and `enrollment#<id>` / `certificate` (the one number
   * an enrollment's completion was given, so a redelivered fact finds it). Indexes in CERTIFICATE_INDEXES
   * (contracts/certificates.ts).
   */
  certificates: {
    partitionKey: 'pk',
    sortKey: 'sk',
    indexes: {
      byLearner: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
      byInstitution: { partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    },
  },
  /**
   * Notifications, the notifications domain's own: `person#<sub>` / `notification#<id>` (one told fact, its
   * text and its e-mail's state, gone by `expiresAt`) and `preferences` (the kinds e-mailed or not);
   * `suppressed#<address>` / `meta` (an address SES bounced or a complaint came from: never e-mailed again).
   * Index in NOTIFICATION_INDEXES (contracts/notifications.ts).
   */
  notifications: {
    partitionKey: 'pk',
    sortKey: 'sk',
    timeToLiveAttribute: 'expiresAt',
    indexes: { unread: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' } },
  },
} as const satisfies Record<string, TableSpec>;
export type TableName = keyof typeof TABLES;
/** The tables the data stack always creates; the others belong to their feature's stack. */
export type CoreTableName = {
  [N in TableName]: (typeof TABLES)[N] extends { feature: string } ? never : N;
}[TableName];

/** Cookie names of the browser session. */
export const COOKIES = {
  access: 'lms_access',
  refresh: 'lms_refresh',
  /** Binds an OAuth sign-in to the browser that started it. */
  oauthState: 'lms_oauth_state',
} as const;

/** The user pool's password policy; the auth stack sets it, the local sign-in checks new passwords by it. */
export const PASSWORD_POLICY = {
  minLength: 12,
  requireLowercase: true,
  requireUppercase: true,
  requireDigits: true,
  requireSymbols: true,
  passwordHistorySize: 5,
  tempPasswordValidityDays: 3,
} as const;

/** Session lifetimes; the api stack configures the app client with the same numbers. */
export const SESSION = {
  /**
   * Short, so a leaked access token is worth little wherever only its signature is checked (the API's
   * authorizer also refuses logged-out sessions; other verifiers of Cognito's JWTs do not), yet long enough
   * for a browser app to refresh comfortably from its HttpOnly refresh cookie. Cognito accepts 5 minutes to
   * a day.
   */
  accessTokenMinutes: 15,
  refreshTokenDays: 30,
  /** How long a started sign-in may take before its state expires. */
  signInMinutes: 10,
  /**
   * API Gateway reuses the authorizer's answer for one session cookie this long, so a page's dozens of
   * requests cost one authorizer call. It is also how long a logged-out session's token may still pass the
   * API (the browser forgets its cookie at logout; a copied token would not) and how long past its expiry
   * a token accepted just before may pass the Lambda routes (the core service checks expiry itself).
   */
  authorizerCacheSeconds: 30,
} as const;

/** The core service's container contract: service/Dockerfile, the core-service stack and the local runner. */
export const CORE_SERVICE = {
  port: 8080,
  /** The platform's health as clients see it: the API routes `GET /health` here, and it asks the database. */
  healthPath: '/health',
  /** The load balancer's check: only whether the process serves (see service/src/health/routes.ts). */
  livenessPath: '/health/live',
  /**
   * The paths the core service owns (each with everything below it). API Gateway routes them to the
   * service through its VPC link, and the local runner forwards them to the in-process service.
   */
  pathPrefixes: [
    '/institutions',
    '/companies',
    '/courses',
    '/provisions',
    '/me/enrollments',
    '/me/memberships',
    '/sessions',
    '/me/registrations',
    '/admin/membership-facts',
    '/admin/pace-reminders',
  ],
  /**
   * The request's id, set by whoever stands in front of the service (API Gateway's own request id, or the
   * local runner's), so one id names a request in the gateway's, the service's and the client's view.
   */
  requestIdHeader: 'x-request-id',
  /** Where the audit trail's archived months are in the archive bucket: one Parquet object a month. */
  auditArchivePrefix: 'learning-audit/',
  env: {
    /** Connection settings, injected from the database secret's fields (they do not rotate). */
    databaseHost: 'DATABASE_HOST',
    databasePort: 'DATABASE_PORT',
    databaseName: 'DATABASE_NAME',
    databaseUser: 'DATABASE_USER',
    /**
     * The secret itself: the password rotates, so the service reads it for new connections, and the
     * migration step reads the whole secret (Lambda has no secret injection). The service's is its own
     * login role's; the migration step's is the master user's.
     */
    databaseSecretArn: 'DATABASE_SECRET_ARN',
    /** The migration step only: the service's login role's secret, whose role and password it sets. */
    appSecretArn: 'DATABASE_APP_SECRET_ARN',
    /** Local only: a connection string; unset with no DATABASE_HOST means embedded PGlite. */
    databaseUrl: 'DATABASE_URL',
    /** The SQS queue the platform bus fills with the events the core service consumes. */
    eventsQueueUrl: 'CORE_EVENTS_QUEUE_URL',
    /**
     * The audit trail's archive bucket: old months move there as Parquet and the audit export reads them
     * there. Unset: nothing is archived (and no month has been).
     */
    auditArchiveBucket: 'AUDIT_ARCHIVE_BUCKET',
    /** Months of the trail kept in the database after the current one; 0 archives nothing. */
    auditArchiveKeepMonths: 'AUDIT_ARCHIVE_KEEP_MONTHS',
  },
} as const;

/**
 * The platform's EventBridge bus: cross-domain changes travel on it as `<domain>.<what happened>`
 * detail types, each from its domain's source.
 */
export const EVENTS = {
  /** Environment variable holding the bus name, for every publisher. */
  busNameEnv: 'EVENT_BUS_NAME',
  sources: {
    core: 'lms.core',
    vod: 'lms.vod',
    live: 'lms.live',
    users: 'lms.users',
    certificates: 'lms.certificates',
    /** EventBridge Scheduler's schedules (the daily pace scan). */
    scheduler: 'lms.scheduler',
  },
  /** What the core service consumes, by source. */
  coreConsumes: {
    'lms.vod': ['video.ready', 'video.failed'],
    'lms.live': ['live.ended', 'live.recorded'],
    'lms.users': ['users.invited'],
    'lms.scheduler': ['pace.scan-due'],
  },
  /** What the access projection consumes, by source (contracts in platform-events.ts). */
  accessConsumes: {
    'lms.core': [
      'institution.member-set',
      'institution.member-removed',
      'content.set',
      'enrollment.created',
      'provision.set',
      'company.member-set',
      'company.member-removed',
      'registration.cancelled',
    ],
  },
  /**
   * What the users domain consumes, by source: the core's memberships, which it mirrors as Cognito groups
   * (contracts in platform-events.ts).
   */
  usersConsumes: {
    'lms.core': [
      'institution.member-set',
      'institution.member-removed',
      'company.member-set',
      'company.member-removed',
    ],
  },
  /** What the certificates domain consumes: completions, each of which is given one certificate. */
  certificatesConsumes: { 'lms.core': ['enrollment.completed'] },
  /**
   * What the notifications domain consumes: every fact someone is told about, in the app and by e-mail
   * (contracts in platform-events.ts and certificates.ts). A completion is told by its certificate.
   */
  notificationsConsumes: {
    'lms.core': [
      'enrollment.created',
      'waitlist.promoted',
      'provision.requested',
      'provision.accepted',
      'provision.rejected',
      'exam.graded',
      'pace.reminder-due',
      'company.pace-digest-due',
    ],
    'lms.certificates': ['certificate.issued', 'certificate.revoked'],
    'lms.live': ['lecture.scheduled', 'lecture.started'],
  },
} as const;

/**
 * The video pipeline's contract: the vod stack (buckets, MediaConvert, CloudFront), its handlers and the
 * local transcoder share these names and key layouts.
 */
export const VOD = {
  env: {
    uploadBucket: 'VOD_UPLOAD_BUCKET',
    outputBucket: 'VOD_OUTPUT_BUCKET',
    /** The role MediaConvert assumes to read uploads and write renditions. */
    mediaConvertRoleArn: 'VOD_MEDIACONVERT_ROLE_ARN',
    /** The platform's own MediaConvert queue, which every job names (never the account's shared Default). */
    mediaConvertQueueArn: 'VOD_MEDIACONVERT_QUEUE_ARN',
    /** The largest upload accepted, in bytes: the config's `video.maxUploadGiB`. */
    maxUploadBytes: 'VOD_MAX_UPLOAD_BYTES',
    /** Minutes of source video an institution may have transcoded per calendar month (UTC): the config's. */
    monthlyTranscodeMinutes: 'VOD_MONTHLY_TRANSCODE_MINUTES',
    /** `https://<host>` of the playback distribution: the resource signed cookies are scoped under. */
    playbackOrigin: 'VOD_PLAYBACK_ORIGIN',
    /** The secret holding the playback signing key (PKCS#8 PEM). */
    signingKeySecretArn: 'VOD_SIGNING_KEY_SECRET_ARN',
    /** The CloudFront public key's id: every signed cookie's `CloudFront-Key-Pair-Id`. */
    signingKeyPairId: 'VOD_SIGNING_KEY_PAIR_ID',
    /** How long signed playback cookies and material download URLs stay valid, in seconds. */
    playbackSeconds: 'VOD_PLAYBACK_SECONDS',
  },
  /**
   * Upload keys: `<kind>/<institutionId>/<contentId>/<file name>`. The key names the content an upload is
   * for, so the transcoder needs no lookup; only `videos/` starts a job.
   */
  uploadPrefixes: { video: 'videos/', material: 'materials/' },
  /** Renditions of a content: `hls/<contentId>/` (playlists, segments, thumbnail). */
  outputPrefix: 'hls/',
  /** The HLS master playlist's file name under a content's output prefix. */
  masterPlaylist: 'index.m3u8',
} as const;
