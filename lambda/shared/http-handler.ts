import type {
  APIGatewayProxyEventV2WithLambdaAuthorizer,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import type * as z from 'zod';
import { ENV, ROLES, type Role } from '#contracts/resources';
import { assertAllowedCookieWrite } from '#contracts/origin';
import type { RouteDef } from '#contracts/routes';
import type { Identity } from '#contracts/access-token';
import { readCookies } from '#contracts/cookies';
import { REFUSAL_STATUS, Refused } from './domain-error';
import { csv } from './env';
import { logger } from './observability';
import { Busy, isServiceUnavailable } from './unavailable';

/** Long enough for DynamoDB's adaptive capacity or a throttle's window to pass, short enough to wait. */
const RETRY_AFTER_SECONDS = 2;
import { parseJsonBody } from '#contracts/json-body';
import { HttpError, internalProblem, validationError, type Problem } from '#contracts/problem';

/** What the API's Lambda authorizer hands to every non-public route (values must be primitives). */
export interface AuthorizerContext {
  readonly sub: string;
  readonly email: string;
  /** Comma-separated roles. */
  readonly roles: string;
}

export type ApiEvent = APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext>;
export type ApiResult = APIGatewayProxyStructuredResultV2;

type Infer<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface ApiRequest<R extends RouteDef> {
  readonly params: Infer<R['params']>;
  readonly query: Infer<R['query']>;
  readonly body: Infer<R['body']>;
  /** Set on every route that is not public. */
  readonly identity: R['access'] extends 'public' ? undefined : Identity;
  readonly cookies: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

export interface Reply {
  readonly status: number;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Sent as it is, instead of `body`, with the content-type the headers give (an export as Markdown). */
  readonly text?: string;
  readonly headers?: Record<string, string>;
  readonly cookies?: string[];
}

/**
 * What a route's handler may answer: when the route declares its `responses`, one of those statuses with its
 * body's shape, so a handler cannot drift from the OpenAPI document (and the web app's client) built from them.
 */
export type RouteReply<R extends RouteDef> = R extends {
  readonly responses: infer M extends Readonly<Partial<Record<number, z.ZodType | null>>>;
}
  ? Omit<Reply, 'body'> & { readonly body?: BodyOf<M[keyof M]> }
  : Reply;
type BodyOf<S> = S extends z.ZodType ? z.input<S> : undefined;

export const redirect = (location: string, cookies?: string[]): Reply => ({
  status: 302,
  headers: { location, 'cache-control': 'no-store' },
  ...(cookies ? { cookies } : {}),
});

function problemResult(problem: Problem): ApiResult {
  return {
    statusCode: problem.status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store' },
    body: JSON.stringify(problem),
  };
}

function identityFrom(event: ApiEvent): Identity | undefined {
  const ctx = event.requestContext.authorizer?.lambda;
  if (!ctx?.sub) return undefined;
  const roles = ctx.roles.split(',').filter((r): r is Role => (ROLES as readonly string[]).includes(r));
  return { sub: ctx.sub, email: ctx.email || undefined, roles };
}

function authorize(route: RouteDef, identity: Identity | undefined): void {
  if (route.access === 'public') return;
  if (!identity) throw new HttpError(401, 'Sign in first');
  if (route.access === 'signed-in') return;
  const allowed = route.access;
  if (!identity.roles.some((r) => allowed.includes(r))) {
    throw new HttpError(403, `This needs one of the roles: ${allowed.join(', ')}`);
  }
}

function parseBody(route: RouteDef, event: ApiEvent): unknown {
  if (!route.body) return undefined;
  const type = event.headers['content-type'] ?? '';
  if (!/^application\/(.+\+)?json\b/.test(type)) {
    throw new HttpError(415, 'Send the body as application/json', [
      { field: 'headers.content-type', message: 'Send the body as application/json' },
    ]);
  }
  const text = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
    : (event.body ?? '');
  const parsed = route.body.safeParse(parseJsonBody(text));
  if (!parsed.success) throw validationError('body', parsed.error);
  return parsed.data;
}

function parseParams(route: RouteDef, event: ApiEvent): unknown {
  if (!route.params) return undefined;
  const parsed = route.params.safeParse(event.pathParameters ?? {});
  if (!parsed.success) throw validationError('path', parsed.error);
  return parsed.data;
}

function parseQuery(route: RouteDef, event: ApiEvent): unknown {
  if (!route.query) return undefined;
  const parsed = route.query.safeParse(event.queryStringParameters ?? {});
  if (!parsed.success) throw validationError('query', parsed.error);
  return parsed.data;
}

let originsRead: { readonly raw: string | undefined; readonly list: readonly string[] } | undefined;
/** The app's origins, parsed again only when the variable changed (tests set it; Lambda never does). */
function appOrigins(): readonly string[] {
  const raw = process.env[ENV.appOrigins];
  if (!originsRead || originsRead.raw !== raw) originsRead = { raw, list: csv(raw) };
  return originsRead.list;
}

/**
 * Wraps a route's domain call: authorizes against the route's roles, validates path, query and body against its
 * schemas, and shapes every refusal as problem+json. Nothing reaches `fn` unvalidated.
 */
export function httpHandler<R extends RouteDef>(
  route: R,
  fn: (req: ApiRequest<R>) => Promise<RouteReply<R>>,
) {
  return async (event: ApiEvent): Promise<ApiResult> => {
    try {
      const identity = identityFrom(event);
      authorize(route, identity);
      if (route.access !== 'public') {
        assertAllowedCookieWrite(
          { method: event.requestContext.http.method, headers: event.headers, cookies: event.cookies },
          appOrigins(),
        );
      }
      const request = {
        params: parseParams(route, event),
        query: parseQuery(route, event),
        body: parseBody(route, event),
        identity,
        cookies: readCookies(event.cookies, event.headers.cookie),
        headers: event.headers,
      } as ApiRequest<R>;
      const reply: Reply = await fn(request);
      const hasBody = reply.body !== undefined;
      return {
        statusCode: reply.status,
        headers: {
          ...(hasBody ? { 'content-type': 'application/json' } : {}),
          ...reply.headers,
        },
        ...(reply.cookies?.length ? { cookies: reply.cookies } : {}),
        body: reply.text ?? (hasBody ? JSON.stringify(reply.body) : ''),
      };
    } catch (e) {
      // API Gateway's request id: in its access log, in this function's log line and in the answer.
      const requestId = event.requestContext.requestId;
      if (e instanceof HttpError) return problemResult(e.toProblem(requestId));
      if (e instanceof Refused) {
        const fields = e.fields.length > 0 ? e.fields : undefined;
        return problemResult(new HttpError(REFUSAL_STATUS[e.kind], e.message, fields).toProblem(requestId));
      }
      if (isServiceUnavailable(e)) {
        logger.warn('A service is unavailable', {
          error: e as Error,
          route: `${route.method} ${route.path}`,
          requestId,
        });
        const busy = e instanceof Busy ? e : undefined;
        const problem = problemResult(
          new HttpError(
            503,
            busy?.message ?? 'A service the platform relies on is busy; try again shortly',
          ).toProblem(requestId),
        );
        const retryAfter = busy?.retryAfterSeconds ?? RETRY_AFTER_SECONDS;
        return { ...problem, headers: { ...problem.headers, 'retry-after': String(retryAfter) } };
      }
      logger.error('Unhandled error', {
        error: e as Error,
        route: `${route.method} ${route.path}`,
        requestId,
      });
      return problemResult(internalProblem(requestId));
    }
  };
}
