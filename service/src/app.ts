import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { parseJsonBody } from '#contracts/json-body';
import { CORE_SERVICE } from '#contracts/resources';
import type { Database } from './db/schema';
import { routeContext } from './http/context';
import { AuditArchiveReader, type AuditArchiveStore } from './learning/audit-archive';
import { answerClientError, HttpError, problemHandler } from './http/errors';
import type { VerifyToken } from './http/identity';
import { cachedVerifier } from './http/token-cache';
import { analyticsRoutes } from './analytics/routes';
import { alignAnalyticsTimeZone } from './analytics/time-zone';
import { companyRoutes } from './companies/routes';
import { courseRoutes } from './courses/routes';
import { examRoutes } from './exams/routes';
import type { HealthCheckOptions } from './health/health';
import { healthRoutes } from './health/routes';
import { institutionRoutes } from './institutions/routes';
import { learningRoutes } from './learning/routes';
import { membershipRoutes } from './memberships/routes';
import { provisionRoutes } from './provisions/routes';
import { ratingRoutes } from './ratings/routes';
import type { RateLimit } from './sessions/rate-limit';
import { sessionRoutes } from './sessions/routes';
import { COMPLIANCE_PROFILES, type ComplianceProfile } from '#contracts/compliance-profiles';
import { assertAllowedCookieWrite } from '#contracts/origin';

export interface CoreServiceOptions {
  readonly db: Kysely<Database>;
  readonly verifyToken: VerifyToken;
  /**
   * Fastify's JSON log (pino): `true` for every request, or pino's options (`{ level: 'error' }` logs only
   * what answered 500, each line with its request id). @default false
   */
  readonly logger?: FastifyServerOptions['logger'];
  /** The institution's compliance profile. @default the `standard` profile */
  readonly compliance?: ComplianceProfile;
  /** @default the system clock */
  readonly clock?: () => Date;
  /** How /health probes the database. @default a 2 s timeout, answers reused for 1 s */
  readonly health?: HealthCheckOptions;
  /**
   * The web app's origins: cookie-authenticated writes from any other Origin are refused (403).
   * @default none, so every cookie write that names an Origin is refused
   */
  readonly appOrigins?: readonly string[];
  /** Per learner, on the registration routes (429 beyond it). @default ten at once, then one a second */
  readonly registrationRateLimit?: RateLimit;
  /**
   * Whether the service readies its database as it starts (the analytics' calendar follows the compliance
   * profile's zone: analytics/time-zone.ts). Off where no migrated database is behind it: the OpenAPI
   * document's build, tests of the HTTP layer alone. @default true
   */
  readonly prepareDatabase?: boolean;
  /**
   * Where the audit trail's archived months are (the archive bucket): the audit export reads them there.
   * @default none: the export answers 503 for a learner with archived months
   */
  readonly auditArchive?: AuditArchiveStore;
}

/** An id the gateway in front set (API Gateway's request ids are base64-ish, the local runner's UUIDs). */
const REQUEST_ID = /^[A-Za-z0-9=+/_-]{8,64}$/;

/** The core REST service: every route validates with zod and answers refusals as problem+json. */
export async function buildCoreService(options: CoreServiceOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 1024 * 1024,
    // The router's default (100) is below what the schemas admit for a user id (128): a longer one would get
    // the router's own 414 before sign-in is checked. The schemas decide instead.
    routerOptions: { maxParamLength: 1024 },
    // The gateway's id when it set a sane one, so its log and this one meet; otherwise one of our own.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers[CORE_SERVICE.requestIdHeader];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // What the router refuses before any route (a malformed percent-encoding, an over-long path parameter)
    // answers like everything else.
    frameworkErrors: problemHandler,
    // Node's HTTP parser refuses some requests before Fastify sees them (headers or request line too large,
    // a malformed request): they get a problem+json too, written straight to the socket.
    clientErrorHandler: answerClientError,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(problemHandler);
  // Clients send `content-type: application/json` with no body on action POSTs (publish, approve): that is
  // no body, not a malformed one. Depth is bounded before anything walks the body.
  // JSON is the only body the service reads: anything else is a 415, not a string for a schema to refuse.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, parseJsonBody(body as string));
    } catch (e) {
      done(e as HttpError, undefined);
    }
  });
  // PostgreSQL text cannot hold a NUL character; caught here, for every route, it is a 400 naming the field
  // instead of a 500 from the database.
  app.addHook('preValidation', async (req) => {
    const where = [
      ['body', req.body],
      ['path', req.params],
      ['query', req.query],
    ] as const;
    const fields = where.flatMap(([name, value]) => nulFields(value, name));
    if (fields.length > 0)
      throw new HttpError(
        400,
        `Invalid ${fields.join(', ')}`,
        fields.map((field) => ({ field, message: 'must not contain a NUL character' })),
      );
  });
  app.setNotFoundHandler((req) => {
    throw new HttpError(404, `No route ${req.method} ${req.url.split('?')[0]}`);
  });
  await app.register(swagger, {
    openapi: { info: { title: 'LMS core service', version: '1' } },
    transform: jsonSchemaTransform,
  });

  const ctx = routeContext(
    options.db,
    cachedVerifier(options.verifyToken),
    options.compliance ?? COMPLIANCE_PROFILES.standard,
    options.clock ?? (() => new Date()),
    options.auditArchive ? new AuditArchiveReader(options.auditArchive) : undefined,
  );
  // Who is calling is settled before anything about the request is: a stranger learns no schema detail.
  const open = new Set([CORE_SERVICE.healthPath, CORE_SERVICE.livenessPath, '/openapi.json']);
  const appOrigins = options.appOrigins ?? [];
  app.addHook('onRequest', async (req) => {
    if (open.has(req.url.split('?')[0]!)) return;
    await ctx.identity(req);
    // The API's authorizer answers by the session cookie alone (it is cached), so the Origin is checked here.
    assertAllowedCookieWrite(
      { method: req.method, headers: req.headers as Record<string, string | undefined> },
      appOrigins,
    );
  });
  await app.register(healthRoutes(options.db, options.health));
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(institutionRoutes(ctx));
  await app.register(companyRoutes(ctx));
  await app.register(courseRoutes(ctx));
  await app.register(provisionRoutes(ctx));
  await app.register(learningRoutes(ctx));
  await app.register(examRoutes(ctx));
  await app.register(ratingRoutes(ctx));
  await app.register(analyticsRoutes(ctx));
  // The monthly counts follow the profile's calendar. Not awaited: a service that starts while its database is
  // away answers 503 until it is back rather than not starting, and until the counts are aligned the route
  // counts from the facts. The next start tries again.
  if (options.prepareDatabase ?? true)
    app.addHook('onReady', async () => {
      alignAnalyticsTimeZone(options.db, ctx.compliance.timeZone).catch((e: unknown) =>
        app.log.warn({ err: e }, 'analytics calendar not aligned with the compliance profile yet'),
      );
    });
  await app.register(membershipRoutes(ctx));
  await app.register(sessionRoutes(ctx, options.registrationRateLimit));
  return app;
}

/**
 * The paths of every string under `value` that contains U+0000. Recursive on purpose: a body reaches it only
 * after parseJsonBody bounded its depth.
 */
function nulFields(value: unknown, path: string): string[] {
  if (typeof value === 'string') return value.includes('\u0000') ? [path] : [];
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => nulFields(v, `${path}.${k}`));
  return [];
}
