import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { DEFAULT_CONCURRENT_VIEWERS, monthlyTranscodeMinutesFor } from '#lib/config/institution-config';
import { join } from 'node:path';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ImportPlaybackKeyPairCommand, IvsClient } from '@aws-sdk/client-ivs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import * as z from 'zod';
import { LIVE } from '#contracts/live';
import { CORS_ALLOWED_HEADERS } from '#contracts/origin';
import { CERTIFICATES } from '#contracts/certificates';
import { defaultLocaleFor, NOTIFICATIONS } from '#contracts/notifications';
import { CORE_SERVICE, ENV, EVENTS, ROLES, SESSION, VOD } from '#contracts/resources';
import { routeList } from '#contracts/routes';
import { COMPLIANCE_PROFILES, type ComplianceProfile } from '#contracts/compliance-profiles';
import type { ApiEvent, ApiResult } from '#lambda/shared/http-handler';
import { createAccessTokenVerifier } from '#contracts/access-token';
import { projectAccessEvent } from '#lambda/access/access';
import { gatewayAuthorizer, type AuthorizerHandler } from './gateway-authorizer';
import { syncMemberEvent } from '#lambda/users/memberships';
import { fieldProblems } from '#contracts/problem';
import { buildCoreService } from '#service/app';
import { coreEventHandlers } from '#service/events/handlers';
import { relayOutbox } from '#service/events/relay';
import { startEventWorkers } from '#service/events/workers';
import { startExamTimer } from '#service/exams/exam-timer';
import { AUDIT_ARCHIVE_KEEP_MONTHS, startAuditArchive } from '#service/learning/audit-archive';
import { startAuditPartitions } from '#service/learning/audit-partitions';
import { startViewingRunsCloser } from '#service/learning/viewing-runs';
import type { Database } from '#service/db/schema';
import { answerClientError, problemHandler } from '#service/http/errors';
import { type LocalCognito, startLocalCognito } from './cognito-idp';
import { escapeHtml, HTML_HEADERS } from '#lambda/shared/html';
import { apiReferencePage } from './api-reference';
import { bindHttpServer, type BoundServer } from './bound-server';
import { DEMO_IDENTITIES } from './demo-identities';
import { openApiDocument, type OpenApiDocument } from './openapi';
import { createTables, LOCAL_AWS } from './dynamodb-local';
import { LocalAnalyticsExport } from './analytics-export';
import { LocalEventBus } from './event-bus';
import { registerLocalEventBridge } from './eventbridge';
import { type IvsEvent, type LocalIvs, startLocalIvs } from './ivs';
import { LocalMailbox } from './mailbox';
import { LocalObjectStore } from './object-store';
import { LocalPlaybackCdn } from './playback-cdn';
import { registerLocalSecrets } from './secrets-manager';
import {
  LOCAL_SES_CONFIGURATION_SET,
  LOCAL_SES_DOMAIN,
  LOCAL_SES_SENDER,
  type LocalSes,
  registerLocalSes,
} from './ses';
import {
  documentedResult,
  sendApiResult,
  toApiEvent,
  toAuthorizerEvent,
  toFastifyPath,
  withAuthorizerContext,
} from './lambda-adapter';
import { LOCAL_CLIENT_ID, LocalTokenIssuer, OAuthError, type TokenSubject } from './token-issuer';
import { TranscodeCache } from './transcode-cache';
import { LocalTranscoder } from './transcoder';
import { buildLocalWebApp, registerLocalWebApp } from './web-app';

const LAMBDA_DIR = join(__dirname, '..', 'lambda');
/** `video.maxUploadGiB`'s default in the institution config. */
const DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 ** 3;
/** `video.playbackCookieMinutes`'s default. */
const DEFAULT_PLAYBACK_COOKIE_MINUTES = 10;

export interface LocalPlatformOptions {
  /** DynamoDB Local (or any DynamoDB-compatible endpoint). */
  readonly dynamoEndpoint: string;
  /** 0 picks a free port. @default 3000 */
  readonly port?: number;
  /** Host to listen on and to put in URLs; browsers keep cookies per host. @default 'localhost' */
  readonly host?: string;
  /** Table name prefix, so several platforms can share one DynamoDB Local. @default 'lms-local-' */
  readonly tablePrefix?: string;
  /** Web app origins besides the runner itself (CORS and sign-in return URLs). @default [] */
  readonly appOrigins?: readonly string[];
  /** One line per request. @default console.log */
  readonly log?: (line: string) => void;
  /** The core service's database, migrated; the platform does not close it. */
  readonly database: Kysely<Database>;
  /**
   * Serve the browser app (web/) on the runner's origin, built at start (see web-app.ts). Off by default:
   * tests of the API need no build.
   * @default false
   */
  readonly webApp?: boolean;
  /** The institution's name, as the web app's `/config.json` tells it. @default 'LMS (local)' */
  readonly institutionName?: string;
  /** The institution's compliance profile. @default the `standard` profile */
  readonly compliance?: ComplianceProfile;
  /** The core service's clock, which tests move instead of waiting. @default the system clock */
  readonly clock?: () => Date;
  /**
   * The video pipeline's buckets and transcoder, and the largest upload accepted in bytes.
   * @default objects in a temporary directory, removed on close; uploads up to 10 GiB (the config's default)
   */
  readonly vod?: {
    readonly dir?: string;
    readonly maxUploadBytes?: number;
    /**
     * Minutes of video each institution may have transcoded per month.
     * @default what a config that leaves out `scale` and `video.monthlyTranscodeMinutes` gets
     */
    readonly monthlyTranscodeMinutes?: number;
    /** @default 10, the config's `video.playbackCookieMinutes` default */
    readonly playbackCookieMinutes?: number;
    /**
     * Keep encodes under node_modules/.cache by content (see TranscodeCache), so a video uploaded again is
     * copied rather than encoded. Off where a test is about transcoding. @default false
     */
    readonly transcodeCache?: boolean;
  };
  /** Live lectures on the local IVS. @default ingest on a free port, recording on, a sweep every minute */
  readonly live?: {
    /** The RTMP ingest's port (OBS and ffmpeg publish to it). @default 0, a free port */
    readonly rtmpPort?: number;
    /** Record streams into the recordings bucket, as `live.recording` does in AWS. @default true */
    readonly record?: boolean;
    /** How often the reconciling sweep runs; 0: only when asked (`live.sweep()`). @default 60000 */
    readonly sweepEveryMs?: number;
    /**
     * Sees each IVS event before the live handlers do and decides its fate: deliver it, or drop it (IVS's
     * events are best effort). Tests use it to lose or delay events. @default deliver every event
     */
    readonly deliverIvsEvent?: (event: IvsEvent) => boolean;
  };
  /**
   * Months of the audit trail kept in the database (`audit.archive.keepMonths`); older ones move to the local
   * object store's audit archive bucket as Parquet. 0 archives nothing. @default 24
   */
  readonly auditArchiveKeepMonths?: number;
  /**
   * The analytics export (`analytics.export.enabled`): every event of the bus as Parquet in the local object
   * store's analytics bucket, as the analytics stack's Firehose stream writes them to S3.
   * @default off
   */
  readonly analytics?: {
    /** How often gathered events are written; 0: only on `flush()`. @default 60000 */
    readonly flushEveryMs?: number;
    /** Events a file holds at most. @default 1000 */
    readonly maxRows?: number;
  };
}

/** Live lectures on one machine: the local IVS, its handlers and the sweep, as the live stack runs them. */
export interface LocalLive {
  readonly ivs: LocalIvs;
  /** `rtmp://127.0.0.1:<port>/app/`: append a lecture's stream key to publish. */
  readonly rtmpUrl: string;
  readonly recordingBucket: string;
  /** Runs the reconciling sweep once, as its one-minute schedule does. */
  sweep(): Promise<unknown>;
  /**
   * Gives the local IVS back the channels and rooms no lecture needs, as the hourly schedule does in AWS;
   * locally only when asked (a run's channels go with the process anyway).
   */
  releaseChannels(): Promise<unknown>;
  /** Resolves when every IVS event so far has been handled (and what they published delivered). */
  settled(): Promise<void>;
}

/** The video pipeline on one machine: s3rver for the buckets, ffmpeg for MediaConvert. */
export interface LocalVod {
  /** The S3 endpoint (path-style; credentials `S3RVER`/`S3RVER`). */
  readonly s3Endpoint: string;
  readonly uploadBucket: string;
  readonly outputBucket: string;
  /** The playback distribution's stand-in: serves the output bucket to signed cookies only. */
  readonly playbackOrigin: string;
  /** Resolves when every transcode started so far has finished and been published. */
  idle(): Promise<void>;
}

export interface LocalPlatform {
  readonly url: string;
  readonly issuer: LocalTokenIssuer;
  readonly tables: Record<string, string>;
  /** The platform bus: the core service's outbox relay publishes to it and its consumers read from it. */
  readonly bus: LocalEventBus;
  readonly vod: LocalVod;
  readonly live: LocalLive;
  /** Cognito as the users domain and the sign-in page use it: cognito-local (see cognito-idp.ts). */
  readonly cognito: LocalCognito;
  /** SES v2 for the notifications domain (see ses.ts): subscribe to its configuration set's events here. */
  readonly ses: LocalSes;
  /** What Cognito and SES delivered, as `GET /local/mail` shows it. */
  readonly mailbox: LocalMailbox;
  /** The analytics export and its bucket; absent unless `analytics` is given. */
  readonly analytics?: { readonly export: LocalAnalyticsExport; readonly bucket: string };
  /** The bucket the audit trail's old months move to (the data stack's audit archive bucket). */
  readonly auditArchive: { readonly bucket: string };
  /** Relays every outbox event now and waits for their deliveries (the worker does it within a moment). */
  flushEvents(): Promise<void>;
  close(): Promise<void>;
}

type Handler = (event: ApiEvent) => Promise<ApiResult>;

/** A route's throttle as API Gateway applies it: `rate` requests a second on average, `burst` at once. */
function tokenBucket(limit: { readonly rate: number; readonly burst: number }): () => boolean {
  let tokens = limit.burst;
  let at = Date.now();
  return () => {
    const now = Date.now();
    tokens = Math.min(limit.burst, tokens + ((now - at) / 1000) * limit.rate);
    at = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}

const mintRequest = z
  .strictObject({
    identity: z.enum(DEMO_IDENTITIES.map((d) => d.id) as [string, ...string[]]).optional(),
    role: z.enum(ROLES).optional(),
  })
  .refine((b) => b.identity ?? b.role, { message: 'give identity or role', path: ['identity'] });

const authorizeQuery = z.object({
  response_type: z.literal('code'),
  client_id: z.string().min(1),
  redirect_uri: z.url(),
  state: z.string().min(1),
  code_challenge: z.string().min(43).max(128),
  code_challenge_method: z.literal('S256'),
  scope: z.string().optional(),
  identity_provider: z.string().optional(),
  identity: z.string().optional(),
});

function problem(reply: FastifyReply, status: number, detail: string, errors?: unknown) {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({
      type: 'about:blank',
      title: status === 404 ? 'Not Found' : 'Bad Request',
      status,
      detail,
      errors,
    });
}

type AuthorizeQuery = z.infer<typeof authorizeQuery>;

/** The authorize request's own fields, to carry through the sign-in forms. */
const queryOf = (q: AuthorizeQuery): Record<string, string> =>
  Object.fromEntries(
    Object.entries(q).filter((e): e is [string, string] => typeof e[1] === 'string' && e[0] !== 'identity'),
  );

const hiddenFields = (q: AuthorizeQuery) =>
  Object.entries(queryOf(q))
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('');

const signInForm = z.union([
  z.object({
    username: z.string().trim().min(1).max(256),
    password: z.string().min(1).max(256),
  }),
  z.object({
    username: z.string().min(1).max(256),
    session: z.string().min(1).max(256),
    new_password: z.string().min(1).max(256),
  }),
]);

/** The sign-in page: a demo person by a click, or anyone in the local Cognito by e-mail and password. */
function signInPage(reply: FastifyReply, requestUrl: string, q: AuthorizeQuery, error?: string) {
  const links = DEMO_IDENTITIES.map((d) => {
    const url = new URL(requestUrl, 'http://local');
    url.searchParams.set('identity', d.id);
    return `<li><a href="${escapeHtml(url.pathname + url.search)}">${escapeHtml(d.name)}</a> <small>${escapeHtml(
      d.email,
    )} · ${d.roles.join(', ')}</small></li>`;
  }).join('');
  const alert = error ? `<p role="alert">${escapeHtml(error)}</p>` : '';
  return reply
    .type('text/html')
    .send(
      `<!doctype html><title>Local sign-in</title><h1>Local sign-in</h1><p>This is the local stand-in for Cognito's sign-in page.</p>${alert}` +
        `<form method="post" action="/local/oauth2/authorize">${hiddenFields(q)}` +
        `<label>E-mail <input name="username" type="email" autocomplete="username" required></label> ` +
        `<label>Password <input name="password" type="password" autocomplete="current-password" required></label> ` +
        `<button>Sign in</button></form><p>The e-mails Cognito and SES would send (invitations with a temporary password, notifications) are in the local mailbox at <a href="/local/mail">/local/mail</a>. Or sign in as a demo person:</p><ul>${links}</ul>`,
    );
}

function newPasswordPage(
  reply: FastifyReply,
  q: AuthorizeQuery,
  challenge: { readonly username: string; readonly session: string },
  error?: string,
) {
  const alert = error ? `<p role="alert">${escapeHtml(error)}</p>` : '';
  return reply
    .type('text/html')
    .send(
      `<!doctype html><title>Change password</title><h1>Change your password</h1><p>Choose a new password for your first sign-in.</p>${alert}` +
        `<form method="post" action="/local/oauth2/authorize">${hiddenFields(q)}` +
        `<input type="hidden" name="username" value="${escapeHtml(challenge.username)}">` +
        `<input type="hidden" name="session" value="${escapeHtml(challenge.session)}">` +
        `<label>New password <input name="new_password" type="password" autocomplete="new-password" required></label> ` +
        `<button>Sign in</button></form>`,
    );
}

/** Answers OAuth errors as an OAuth server does: `{ error, error_description }` with their status. */
function oauthErrors<R>(reply: FastifyReply, run: () => R | Promise<R>) {
  return Promise.resolve()
    .then(run)
    .catch((e: unknown) => {
      if (e instanceof OAuthError)
        return reply.code(e.status).send({ error: e.error, error_description: e.message });
      throw e;
    });
}

/** Routes that exist only in `npm start`: the stand-in for Cognito. Never part of any template. */
function registerLocalIssuer(app: FastifyInstance, issuer: LocalTokenIssuer, cognito: LocalCognito) {
  app.get('/local/.well-known/jwks.json', async () => issuer.jwks());

  app.post('/local/token', async (req, reply) => {
    let json: unknown;
    try {
      json = JSON.parse(String(req.body || '{}'));
    } catch {
      return problem(reply, 400, 'The body is not valid JSON', [
        { field: 'body', message: 'not valid JSON' },
      ]);
    }
    const parsed = mintRequest.safeParse(json);
    if (!parsed.success)
      return problem(reply, 400, 'Invalid token request', fieldProblems('body', parsed.error));
    const identity = issuer.findIdentity(parsed.data)!;
    return { ...(await issuer.mintAccessToken(identity)), identity };
  });

  app.get('/local/oauth2/authorize', async (req, reply) => {
    const parsed = authorizeQuery.safeParse(req.query);
    if (!parsed.success)
      return problem(reply, 400, 'Invalid authorize request', fieldProblems('query', parsed.error));
    const q = parsed.data;
    const identity = q.identity ? issuer.findIdentity({ identity: q.identity }) : undefined;
    if (!identity) return signInPage(reply, req.url, q);
    return codeFor(reply, q, identity);
  });

  // The managed login's form: e-mail and password, then a new password on a first sign-in.
  app.post('/local/oauth2/authorize', async (req, reply) => {
    const form = Object.fromEntries(new URLSearchParams(String(req.body ?? '')));
    const query = authorizeQuery.safeParse(form);
    if (!query.success)
      return problem(reply, 400, 'Invalid authorize request', fieldProblems('body', query.error));
    const q = query.data;
    const step = signInForm.safeParse(form);
    if (!step.success) return problem(reply, 400, 'Invalid sign-in', fieldProblems('body', step.error));
    const answer =
      'session' in step.data
        ? await cognito.setNewPassword(step.data.username, step.data.session, step.data.new_password)
        : await cognito.signIn(step.data.username, step.data.password);
    if (answer.kind === 'signed-in') return codeFor(reply, q, answer.person);
    if (answer.kind === 'new-password-required') return newPasswordPage(reply, q, answer);
    if ('session' in step.data) return newPasswordPage(reply, q, step.data, answer.message);
    return signInPage(reply, `/local/oauth2/authorize?${new URLSearchParams(queryOf(q))}`, q, answer.message);
  });

  function codeFor(reply: FastifyReply, q: AuthorizeQuery, identity: TokenSubject) {
    return oauthErrors(reply, () => {
      const location = issuer.authorize({
        identity,
        clientId: q.client_id,
        redirectUri: q.redirect_uri,
        state: q.state,
        codeChallenge: q.code_challenge,
      });
      return reply.redirect(location, 302);
    });
  }

  app.post('/local/oauth2/token', async (req, reply) =>
    oauthErrors(reply, () => issuer.token(new URLSearchParams(String(req.body ?? '')))),
  );

  app.post('/local/oauth2/revoke', async (req, reply) =>
    oauthErrors(reply, () => {
      issuer.revoke(new URLSearchParams(String(req.body ?? '')));
      return reply.code(200).send();
    }),
  );
}

/** API Gateway's CORS for an HTTP API with credentials, for the same origins. */
function registerCors(app: FastifyInstance, origins: readonly string[]) {
  app.addHook('onRequest', async (req, reply) => {
    const origin = req.headers.origin;
    if (!origin || !origins.includes(origin)) return;
    reply
      .header('access-control-allow-origin', origin)
      .header('access-control-allow-credentials', 'true')
      .header('vary', 'origin');
    if (req.method === 'OPTIONS') {
      return reply
        .header('access-control-allow-methods', 'GET,POST,PUT,PATCH,DELETE')
        .header('access-control-allow-headers', CORS_ALLOWED_HEADERS.join(','))
        .header('access-control-max-age', '3600')
        .code(204)
        .send();
    }
  });
}

/**
 * Starts the platform on one machine: the route table's handler modules behind the same authorizer as in
 * AWS, a local token issuer for Cognito, and DynamoDB Local for the tables. Sets process.env for the
 * handlers, so one platform runs per process.
 */
export async function startLocalPlatform(options: LocalPlatformOptions): Promise<LocalPlatform> {
  const host = options.host ?? 'localhost';
  // Bound before anything is made with the URL, and kept: the issuer, the handlers' environment and the web
  // app's configuration all carry the port.
  const listener = await bindHttpServer(host, options.port ?? 3000);
  try {
    return await startOn(listener, host, options);
  } catch (e) {
    // A platform that failed to start leaves no port held (a test's next attempt, or `npm start` again).
    await listener.close();
    throw e;
  }
}

async function startOn(
  listener: BoundServer,
  host: string,
  options: LocalPlatformOptions,
): Promise<LocalPlatform> {
  const url = `http://${host}:${listener.port}`;
  const log = options.log ?? ((line: string) => console.log(line));
  // The web app builds in a child process while everything below starts; awaited where it is served.
  const webAppBuild = options.webApp ? buildLocalWebApp() : undefined;
  webAppBuild?.catch(() => undefined);
  const appOrigins = [url, ...(options.appOrigins ?? [])];
  const issuer = await LocalTokenIssuer.create(`${url}/local`, [`${url}/auth/callback`]);
  const tables = await createTables(options.dynamoEndpoint, options.tablePrefix ?? 'lms-local-');

  Object.assign(process.env, {
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: options.dynamoEndpoint,
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    POWERTOOLS_SERVICE_NAME: 'local',
    [ENV.authFlowTable]: tables.authFlow,
    [ENV.accessTable]: tables.access,
    [ENV.boardTable]: tables.board,
    [ENV.notesTable]: tables.notes,
    [ENV.oauthBaseUrl]: `${url}/local`,
    [ENV.oauthClientId]: LOCAL_CLIENT_ID,
    [ENV.oauthRedirectUri]: `${url}/auth/callback`,
    [ENV.tokenIssuer]: issuer.issuer,
    [ENV.tokenJwksUri]: issuer.jwksUri,
    [ENV.tokenClientIds]: LOCAL_CLIENT_ID,
    [ENV.appOrigins]: appOrigins.join(','),
  });

  // Unexpected errors (and only those) are logged as JSON lines with their request id, by both servers.
  const errorLog = { level: 'error', stream: { write: (line: string) => log(line.trimEnd()) } };
  // API Gateway's payload limit for HTTP APIs; its id for every request, which the core service is handed.
  const app = Fastify({
    serverFactory: (handler) => listener.serverFactory(handler),
    logger: errorLog,
    bodyLimit: 10 * 1024 * 1024,
    // Fastify answers 414 past 100 characters in one path parameter; API Gateway takes a path up to its 8 KB
    // request line, and an unsubscribe link's token is longer than 100. The route's schema bounds each one.
    routerOptions: { maxParamLength: 2048 },
    genReqId: () => randomUUID(),
    frameworkErrors: problemHandler,
    clientErrorHandler: answerClientError,
  });
  app.setErrorHandler(problemHandler);
  // Handlers parse their own bodies, as behind API Gateway: hand them the raw text.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.addHook('onResponse', async (req, reply) => {
    log(`${req.method} ${req.url.split('?')[0]} ${reply.statusCode} ${reply.elapsedTime.toFixed(1)}ms`);
  });
  registerCors(app, appOrigins);
  // The users domain's Cognito: the sign-in page signs people in with it, and the issuer reads their groups
  // from it at every sign-in and refresh.
  const userPoolId = `${LOCAL_AWS.region}_local`;
  const cognitoPath = '/local/cognito-idp';
  // Cognito's and SES's mail in one mailbox (GET /local/mail); SES as the notifications domain's SESv2Client
  // reaches it, with the local sender verified and the local configuration set publishing its events.
  const mailbox = new LocalMailbox();
  mailbox.register(app);
  const ses = registerLocalSes(app, '/local/ses', {
    mailbox,
    verifiedIdentities: [LOCAL_SES_SENDER, LOCAL_SES_DOMAIN],
    configurationSets: [LOCAL_SES_CONFIGURATION_SET],
    log,
  });
  process.env.AWS_ENDPOINT_URL_SESV2 = `${url}/local/ses`;
  const cognito = await startLocalCognito(app, cognitoPath, {
    userPoolId,
    people: DEMO_IDENTITIES,
    log,
    signInUrl: `${url}/auth/login`,
    mailbox,
  });
  issuer.lookUpPeopleWith((sub) => cognito.personOf(sub));
  cognito.onGlobalSignOut((sub) => issuer.signOutEverywhere(sub));
  registerLocalIssuer(app, issuer, cognito);

  const authorizer = gatewayAuthorizer({
    handler: ((await import(join(LAMBDA_DIR, 'auth', 'authorize-request'))) as { handler: AuthorizerHandler })
      .handler,
    cacheSeconds: SESSION.authorizerCacheSeconds,
  });
  /** API Gateway's step before any protected route: the event with the authorizer's context, or a refusal. */
  async function authorize(req: FastifyRequest, reply: FastifyReply, routeKey: string) {
    const event = toApiEvent(req, routeKey);
    const decision = await authorizer(
      toAuthorizerEvent(event, `arn:local:execute-api:${routeKey}`),
      req.headers.cookie,
    );
    if (decision === 'unauthorized') {
      // What API Gateway answers without the identity source, or when the authorizer fails "Unauthorized".
      reply.code(401).send({ message: 'Unauthorized' });
      return undefined;
    }
    if (!decision.isAuthorized) {
      reply.code(403).send({ message: 'Forbidden' });
      return undefined;
    }
    return withAuthorizerContext(event, decision.context);
  }

  // The buckets' names as the vod stack's would differ per deployment; the table prefix keeps platforms apart.
  const bucketPrefix = (options.tablePrefix ?? 'lms-local-').toLowerCase();
  const objects = await LocalObjectStore.start({
    uploadBucket: `${bucketPrefix}vod-uploads`,
    outputBucket: `${bucketPrefix}vod-renditions`,
    privateBuckets: [
      `${bucketPrefix}live-recordings`,
      `${bucketPrefix}certificates`,
      `${bucketPrefix}audit-archive`,
      ...(options.analytics ? [`${bucketPrefix}analytics`] : []),
    ],
    ...(options.vod?.dir ? { dir: options.vod.dir } : {}),
    // The handlers sign with the local keys, as the DynamoDB client does (DynamoDB Local keeps one database
    // per access key, so they cannot sign with the store's own).
    accessKeys: [LOCAL_AWS.credentials],
    // What the vod stack's rule does in AWS: each upload to the bucket starts a transcode.
    // A failed job is logged by the transcoder and forgotten, so uploading again retries it.
    onObjectCreated: (event) => void transcoder.enqueue(event).catch(() => undefined),
  });
  const s3 = objects.client();
  // The core service's audit archive bucket, as the core service stack's.
  const auditArchive = { s3, bucket: `${bucketPrefix}audit-archive` };
  // The core service on its own port, reached as through API Gateway's VPC link: authorizer, then forward.
  const core = await buildCoreService({
    db: options.database,
    logger: errorLog,
    appOrigins,
    auditArchive,
    ...(options.compliance ? { compliance: options.compliance } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    verifyToken: createAccessTokenVerifier({
      issuer: issuer.issuer,
      jwksUri: issuer.jwksUri,
      clientIds: null,
    }),
  });
  await core.listen({ port: 0, host: '127.0.0.1' });
  const workerLog = {
    warn: (message: string, fields: object) => log(`${message} ${JSON.stringify(fields)}`),
  };
  const bus = new LocalEventBus(log);
  const coreHandlers = coreEventHandlers(options.database, workerLog, {
    compliance: options.compliance ?? COMPLIANCE_PROFILES.standard,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  for (const [source, types] of Object.entries(EVENTS.coreConsumes))
    bus.subscribe(source, types, coreHandlers);
  // What the access stack's rule, queue and projector do in AWS, with the projector's own apply function.
  // Not lambda/shared/clients: importing it statically would create the handlers' tracer before the
  // environment above is set.
  const accessDb = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: options.dynamoEndpoint, ...LOCAL_AWS }),
  );
  for (const [source, types] of Object.entries(EVENTS.accessConsumes))
    bus.subscribe(
      source,
      types,
      Object.fromEntries(types.map((t) => [t, (e) => projectAccessEvent(accessDb, tables.access, e)])),
    );
  const workers = [
    // Events show up quickly in a demo; one machine's outbox is small.
    startEventWorkers({
      db: options.database,
      publish: bus.publish,
      log: workerLog,
      idleMs: 200,
      backoffMs: 1000,
    }),
    startExamTimer({
      db: options.database,
      compliance: options.compliance ?? COMPLIANCE_PROFILES.standard,
      ...(options.clock ? { clock: options.clock } : {}),
      log: workerLog,
      idleMs: 200,
    }),
    startAuditPartitions({
      db: options.database,
      ...(options.clock ? { clock: options.clock } : {}),
      log: workerLog,
    }),
    // The platform's clock decides when a run is idle: a test that moves it sees its runs closed.
    startViewingRunsCloser({
      db: options.database,
      ...(options.clock ? { clock: options.clock } : {}),
      log: workerLog,
      idleMs: 1000,
    }),
  ];
  // Apart from the others: it stops before the object store closes, so a pass in flight ends its write.
  const auditArchiver = startAuditArchive({
    db: options.database,
    ...auditArchive,
    keepMonths: options.auditArchiveKeepMonths ?? AUDIT_ARCHIVE_KEEP_MONTHS,
    ...(options.clock ? { clock: options.clock } : {}),
    log: workerLog,
  });
  // What the analytics stack's rule and stream do in AWS: every source of the platform, to Parquet files.
  const analytics = options.analytics
    ? {
        bucket: `${bucketPrefix}analytics`,
        export: new LocalAnalyticsExport({
          s3,
          bucket: `${bucketPrefix}analytics`,
          ...options.analytics,
          ...(options.clock ? { clock: options.clock } : {}),
          log,
        }),
      }
    : undefined;
  if (analytics) bus.subscribeSources(Object.values(EVENTS.sources), analytics.export.receive);
  const monthlyTranscodeMinutes =
    options.vod?.monthlyTranscodeMinutes ?? monthlyTranscodeMinutesFor(DEFAULT_CONCURRENT_VIEWERS);
  const transcoder = new LocalTranscoder({
    s3,
    outputBucket: objects.outputBucket,
    publish: bus.publish,
    // Counted in the same access table the upload route checks, as in AWS.
    budget: { ddb: accessDb, table: tables.access, monthlyMinutes: monthlyTranscodeMinutes },
    log,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.vod?.transcodeCache ? { cache: new TranscodeCache() } : {}),
  });
  // The distribution's key group and the secret the playback route signs with, made for this run as the vod
  // stack's custom resource makes them at the first deploy.
  const signing = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPairId = 'K0LOCALPLAYBACK';
  const signingKeySecretArn = `arn:aws:secretsmanager:${LOCAL_AWS.region}:000000000000:secret:lms-local-playback-key`;
  const localSecrets = new Map([
    [signingKeySecretArn, signing.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()],
  ]);
  registerLocalSecrets(app, '/local/secretsmanager', localSecrets);
  const cdn = await LocalPlaybackCdn.start({
    s3,
    bucket: objects.outputBucket,
    publicKeys: new Map([[keyPairId, signing.publicKey]]),
    allowedOrigins: appOrigins,
    // The API's host: its host-only cookies reach the stand-in as they reach video.<domain> in AWS.
    host,
    log,
  });
  process.env[VOD.env.playbackOrigin] = cdn.url;
  process.env[VOD.env.signingKeySecretArn] = signingKeySecretArn;
  process.env[VOD.env.signingKeyPairId] = keyPairId;
  process.env[VOD.env.playbackSeconds] = String(
    (options.vod?.playbackCookieMinutes ?? DEFAULT_PLAYBACK_COOKIE_MINUTES) * 60,
  );
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = `${url}/local/secretsmanager`;
  process.env[VOD.env.uploadBucket] = objects.uploadBucket;
  process.env[VOD.env.outputBucket] = objects.outputBucket;
  process.env[VOD.env.maxUploadBytes] = String(options.vod?.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES);
  process.env[VOD.env.monthlyTranscodeMinutes] = String(monthlyTranscodeMinutes);
  // The upload routes' S3 client reaches the store as the DynamoDB client reaches DynamoDB Local: through
  // the SDK's per-service endpoint variable, signing with the same local keys.
  process.env.AWS_ENDPOINT_URL_S3 = objects.endpoint;
  // The certificates domain: its table and bucket as the data stack's, and the verification page here.
  Object.assign(process.env, {
    [ENV.certificatesTable]: tables.certificates,
    [CERTIFICATES.env.bucket]: `${bucketPrefix}certificates`,
    [CERTIFICATES.env.verifyBaseUrl]: `${url}/verify`,
  });
  // The notifications domain: its table, the key its unsubscribe links are signed with (made for this run, as
  // the data stack's secret is made at the first deploy), and the local SES's verified sender.
  const unsubscribeSecretArn = `arn:aws:secretsmanager:${LOCAL_AWS.region}:000000000000:secret:lms-local-unsubscribe-key`;
  localSecrets.set(unsubscribeSecretArn, randomBytes(48).toString('base64url'));
  const timeZone = (options.compliance ?? COMPLIANCE_PROFILES.standard).timeZone;
  Object.assign(process.env, {
    [ENV.notificationsTable]: tables.notifications,
    [NOTIFICATIONS.env.unsubscribeSecretArn]: unsubscribeSecretArn,
    [NOTIFICATIONS.env.sender]: `"LMS local" <${LOCAL_SES_SENDER}>`,
    [NOTIFICATIONS.env.configurationSet]: LOCAL_SES_CONFIGURATION_SET,
    [NOTIFICATIONS.env.unsubscribeBaseUrl]: `${url}/unsubscribe`,
    [NOTIFICATIONS.env.appUrl]: appOrigins[0] ?? url,
    [NOTIFICATIONS.env.timeZone]: timeZone,
    [NOTIFICATIONS.env.defaultLocale]: defaultLocaleFor(timeZone),
  });

  // Live lectures, as the live stack provisions them: IVS (here the local one), a playback key pair made at
  // start as the stack's custom resource makes it at the first deploy, the recordings bucket, and the bus
  // the live handlers publish to through the real EventBridge client.
  const recordingBucket = `${bucketPrefix}live-recordings`;
  const recordingConfigurationArn = `arn:aws:ivs:${LOCAL_AWS.region}:000000000000:recording-configuration/local`;
  const pendingIvsEvents = new Set<Promise<unknown>>();
  let handleIvsEvent: (event: IvsEvent) => Promise<unknown> = async () => undefined;
  const ivs = await startLocalIvs({
    host: '127.0.0.1',
    rtmpPort: options.live?.rtmpPort ?? 0,
    recordingConfigurations: [{ arn: recordingConfigurationArn, bucketName: recordingBucket }],
    writeRecording: async (bucket, key, body) => {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    // What the live stack's EventBridge rules do: each IVS event to its handler, once, after it happened.
    onEvent: (event) => {
      if (options.live?.deliverIvsEvent && !options.live.deliverIvsEvent(event)) return;
      const delivery = handleIvsEvent(event)
        .catch((e: Error) => log(`ivs ${event['detail-type']} not handled: ${e.message}`))
        .finally(() => pendingIvsEvents.delete(delivery));
      pendingIvsEvents.add(delivery);
    },
    // Its own lines, told apart from the API's request lines.
    log: (line) => log(`ivs: ${line}`),
  });
  const livePlaybackKey = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
  const ivsAdmin = new IvsClient({ endpoint: ivs.endpoint, ...LOCAL_AWS });
  await ivsAdmin.send(
    new ImportPlaybackKeyPairCommand({
      name: 'lms-local-playback',
      publicKeyMaterial: livePlaybackKey.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    }),
  );
  ivsAdmin.destroy();
  const livePlaybackKeySecretArn = `arn:aws:secretsmanager:${LOCAL_AWS.region}:000000000000:secret:lms-local-live-playback-key`;
  localSecrets.set(
    livePlaybackKeySecretArn,
    livePlaybackKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  );
  const busName = 'lms-local';
  registerLocalEventBridge(app, '/local/eventbridge', {
    busName,
    publish: bus.publish,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_IVS: ivs.endpoint,
    AWS_ENDPOINT_URL_IVSCHAT: ivs.chatEndpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: `${url}/local/eventbridge`,
    [EVENTS.busNameEnv]: busName,
    [LIVE.env.table]: tables.live,
    [LIVE.env.namePrefix]: 'lms-local',
    [LIVE.env.playbackKeySecretArn]: livePlaybackKeySecretArn,
    [LIVE.env.playbackOrigins]: appOrigins.join(','),
  });
  // The users domain: Cognito's admin API (cognito-local, started above), the users table, and what the users
  // stack's rule, queue and consumer do in AWS, with the consumer's own apply function.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: `${url}${cognitoPath}`,
    [ENV.usersTable]: tables.users,
    [ENV.userPoolId]: userPoolId,
  });
  const groupSyncCognito = new CognitoIdentityProviderClient({
    endpoint: `${url}${cognitoPath}`,
    ...LOCAL_AWS,
  });
  const groupSync = { ddb: accessDb, usersTable: tables.users!, cognito: groupSyncCognito, userPoolId };
  for (const [source, types] of Object.entries(EVENTS.usersConsumes))
    bus.subscribe(
      source,
      types,
      Object.fromEntries(types.map((t) => [t, (e) => syncMemberEvent(groupSync, e)])),
    );
  if (options.live?.record ?? true)
    process.env[LIVE.env.recordingConfigurationArn] = recordingConfigurationArn;
  else delete process.env[LIVE.env.recordingConfigurationArn];

  // After the environment above: handler modules build their clients and settings when loaded.
  for (const route of routeList) {
    const { handler } = (await import(join(LAMBDA_DIR, route.handler))) as { handler: Handler };
    const routeKey = `${route.method} ${route.path}`;
    const throttled = route.throttle ? tokenBucket(route.throttle) : undefined;
    app.route({
      method: route.method,
      url: toFastifyPath(route.path),
      handler: async (req, reply) => {
        // API Gateway's route throttle, before anything else runs, in its words.
        if (throttled && !throttled()) return reply.code(429).send({ message: 'Too Many Requests' });
        const event =
          route.access === 'public' ? toApiEvent(req, routeKey) : await authorize(req, reply, routeKey);
        return event ? sendApiResult(reply, documentedResult(route, await handler(event))) : reply;
      },
    });
  }

  // What the certificates and notifications stacks' rules, queues and functions do in AWS, through the
  // functions' own handlers: each event as one SQS record, a reported failure thrown for the bus to log, as
  // the dead-letter queue would keep it.
  const queued = async (consumes: Readonly<Record<string, readonly string[]>>, ...handlerPath: string[]) => {
    const { handler } = (await import(join(LAMBDA_DIR, ...handlerPath))) as {
      handler: (event: unknown) => Promise<{ batchItemFailures: unknown[] }>;
    };
    for (const [source, types] of Object.entries(consumes))
      bus.subscribe(
        source,
        types,
        Object.fromEntries(
          types.map((t) => [
            t,
            async (e) => {
              const { batchItemFailures } = await handler({
                Records: [{ messageId: e.id, body: JSON.stringify(e) }],
              });
              if (batchItemFailures.length > 0)
                throw new Error(`${t} ${e.id} not handled by ${handlerPath.join('/')}`);
            },
          ]),
        ),
      );
  };
  await queued(EVENTS.certificatesConsumes, 'certificates', 'issue-certificates');
  await queued(EVENTS.notificationsConsumes, 'notifications', 'notify');

  // What the configuration set's SNS destination does in AWS: bounces and complaints to the feedback handler.
  const recordEmailFeedback = (
    (await import(join(LAMBDA_DIR, 'notifications', 'record-email-feedback'))) as {
      handler: (event: unknown) => Promise<void>;
    }
  ).handler;
  ses.onEmailEvent(async (event) => {
    if (event.eventType !== 'Bounce' && event.eventType !== 'Complaint') return;
    await recordEmailFeedback({
      Records: [{ EventSource: 'aws:sns', Sns: { MessageId: randomUUID(), Message: JSON.stringify(event) } }],
    });
  });

  // The live stack's event targets and schedule, loaded after the environment above as the routes are.
  const liveHandler = async (name: string) =>
    ((await import(join(LAMBDA_DIR, 'live', name))) as { handler: (event: unknown) => Promise<unknown> })
      .handler;
  const onStreamState = await liveHandler('on-stream-state');
  const onRecordingState = await liveHandler('on-recording-state');
  const sweepLectures = await liveHandler('sweep-lectures');
  handleIvsEvent = (event) =>
    event['detail-type'] === 'IVS Stream State Change' ? onStreamState(event) : onRecordingState(event);
  const releaseLectureChannels = await liveHandler('release-lecture-channels');
  const scheduled = () => ({
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: (options.clock?.() ?? new Date()).toISOString(),
    region: LOCAL_AWS.region,
    resources: [],
    detail: {},
  });
  const sweep = () => sweepLectures(scheduled());
  const releaseChannels = () => releaseLectureChannels(scheduled());
  const sweepEveryMs = options.live?.sweepEveryMs ?? 60_000;
  const sweeper =
    sweepEveryMs > 0
      ? setInterval(
          () => void sweep().catch((e: Error) => log(`live sweep failed: ${e.message}`)),
          sweepEveryMs,
        )
      : undefined;
  sweeper?.unref();
  const liveSettled = async () => {
    await ivs.idle();
    while (pendingIvsEvents.size > 0) await Promise.all(pendingIvsEvents);
    await bus.settled();
  };

  const coreUrl = `http://127.0.0.1:${(core.server.address() as { port: number }).port}`;
  const hopByHop = new Set(['host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
  const forward = async (req: FastifyRequest, reply: FastifyReply, route = { public: false }) => {
    if (!route.public && !(await authorize(req, reply, `ANY ${req.routeOptions.url}`))) return reply;
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined && !hopByHop.has(k)) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    }
    // What the api stack's integration does: the gateway's request id, whatever the client sent.
    headers.set(CORE_SERVICE.requestIdHeader, req.id);
    const res = await fetch(`${coreUrl}${req.url}`, {
      method: req.method,
      headers,
      ...(typeof req.body === 'string' && req.body !== '' ? { body: req.body } : {}),
    });
    reply.code(res.status);
    res.headers.forEach((v, k) => {
      if (!hopByHop.has(k)) reply.header(k, v);
    });
    return reply.send(Buffer.from(await res.arrayBuffer()));
  };
  for (const prefix of CORE_SERVICE.pathPrefixes) {
    app.all(prefix, forward);
    app.all(`${prefix}/*`, forward);
  }
  // As the api stack routes it: the service's health, with no authorizer in front.
  app.get(CORE_SERVICE.healthPath, (req, reply) => forward(req, reply, { public: true }));
  // The whole API's document, made once on first ask (it builds the core service's routes to read them).
  let document: Promise<OpenApiDocument> | undefined;
  const apiDocument = () => (document ??= openApiDocument());
  app.get('/openapi.json', async () => apiDocument());
  app.get('/docs', async (_req, reply) =>
    reply.headers(HTML_HEADERS).send(apiReferencePage(await apiDocument())),
  );
  if (webAppBuild) {
    const build = await webAppBuild;
    log(`web app built in ${build.ms} ms`);
    await registerLocalWebApp(app, build, {
      config: {
        apiUrl: '',
        institutionName: options.institutionName ?? 'LMS (local)',
        defaultLocale: defaultLocaleFor(timeZone),
        live: {
          chat: ivs.chatMessagingUrl,
          quizFeed: {
            kind: 'server-sent-events',
            url: `${ivs.endpoint}/local/ivs/channels/{channelId}/metadata`,
          },
        },
      },
      videoOrigin: cdn.url,
      uploadOrigin: new URL(objects.endpoint).origin,
      liveOrigins: [ivs.endpoint, new URL(ivs.chatMessagingUrl).origin],
    });
  }
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ message: 'Not Found' }));

  await app.ready();
  listener.open();
  return {
    url,
    issuer,
    tables,
    bus,
    vod: {
      s3Endpoint: objects.endpoint,
      uploadBucket: objects.uploadBucket,
      outputBucket: objects.outputBucket,
      playbackOrigin: cdn.url,
      idle: () => transcoder.idle(),
    },
    live: { ivs, rtmpUrl: ivs.rtmpUrl, recordingBucket, sweep, releaseChannels, settled: liveSettled },
    cognito,
    ses,
    mailbox,
    ...(analytics ? { analytics } : {}),
    auditArchive: { bucket: auditArchive.bucket },
    async flushEvents() {
      while ((await relayOutbox(options.database, bus.publish)) > 0);
      await bus.settled();
    },
    async close() {
      await app.close();
      await listener.close();
      await ses.settled();
      if (sweeper) clearInterval(sweeper);
      await liveSettled();
      await ivs.close();
      await transcoder.idle();
      await cdn.close();
      // Before the store closes: what is gathered is written, as Firehose delivers its buffer.
      await bus.settled();
      await analytics?.export.close();
      await auditArchiver.stop();
      await objects.close();
      s3.destroy();
      await Promise.all(workers.map((w) => w.stop()));
      await bus.settled();
      accessDb.destroy();
      groupSyncCognito.destroy();
      cognito.close();
      await core.close();
    },
  };
}
