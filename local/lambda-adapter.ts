import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodType } from 'zod';
import type { RouteDef } from '#contracts/routes';
import type { ApiEvent, ApiResult, AuthorizerContext } from '#lambda/shared/http-handler';

type Headers = Record<string, string>;

function singleValued(raw: Record<string, string | string[] | undefined>): Headers {
  const out: Headers = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  }
  return out;
}

/** `/courses/{courseId}` in API Gateway syntax becomes `/courses/:courseId` for Fastify. */
export const toFastifyPath = (path: string): string =>
  path.replace(/\{(\w+)\+\}/g, '*').replace(/\{(\w+)\}/g, ':$1');

/** Builds the HTTP API payload v2 event API Gateway would send for this request. */
export function toApiEvent(req: FastifyRequest, routeKey: string): ApiEvent {
  const url = new URL(req.url, 'http://local');
  const headers = singleValued(req.headers);
  const query: Headers = {};
  for (const key of new Set(url.searchParams.keys())) query[key] = url.searchParams.getAll(key).join(',');
  const cookies = headers.cookie?.split(/;\s*/).filter(Boolean);
  delete headers.cookie; // API Gateway moves cookies out of the headers
  const now = new Date();
  const body = typeof req.body === 'string' ? req.body : undefined;
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies?.length ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(Object.keys(req.params as object).length ? { pathParameters: req.params as Headers } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: req.method,
        path: url.pathname,
        protocol: `HTTP/${req.raw.httpVersion}`,
        sourceIp: req.ip,
        userAgent: headers['user-agent'] ?? '',
      },
      // The front door's id for the request, which the core service also gets (as API Gateway's own).
      requestId: req.id,
      routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
      authorizer: undefined as unknown as ApiEvent['requestContext']['authorizer'],
    },
    ...(body !== undefined && body !== '' ? { body } : {}),
    isBase64Encoded: false,
  } as ApiEvent;
}

/** The event API Gateway sends to a payload v2 Lambda authorizer for the same request. */
export function toAuthorizerEvent(event: ApiEvent, routeArn: string): APIGatewayRequestAuthorizerEventV2 {
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn,
    identitySource: [],
    routeKey: event.routeKey,
    rawPath: event.rawPath,
    rawQueryString: event.rawQueryString,
    cookies: event.cookies ?? [],
    headers: event.headers as Headers,
    queryStringParameters: (event.queryStringParameters ?? {}) as Headers,
    requestContext: event.requestContext as unknown as APIGatewayRequestAuthorizerEventV2['requestContext'],
    pathParameters: (event.pathParameters ?? {}) as Headers,
    stageVariables: {},
  };
}

export function withAuthorizerContext(event: ApiEvent, context: AuthorizerContext): ApiEvent {
  return {
    ...event,
    requestContext: { ...event.requestContext, authorizer: { lambda: context } },
  } as ApiEvent;
}

/** Writes a Lambda proxy result the way API Gateway does, cookies included. */
export function sendApiResult(reply: FastifyReply, result: ApiResult): FastifyReply {
  reply.code(result.statusCode ?? 200);
  for (const [k, v] of Object.entries(result.headers ?? {})) reply.header(k, String(v));
  if (result.cookies?.length) reply.header('set-cookie', result.cookies);
  const body = result.body ?? '';
  return reply.send(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}

/**
 * Holds a handler's success to the route's documented `responses` (the OpenAPI document and the web app's
 * client are made from them): an answer the document does not describe is the handler's bug, shown here as a
 * 500 that names the mismatch, so tests and `npm start` find it before a screen does.
 */
export function documentedResult(route: RouteDef, result: ApiResult): ApiResult {
  const status = result.statusCode ?? 200;
  if (!route.responses || status >= 300) return result;
  const declared = route.responses as Readonly<Record<number, ZodType | null | undefined>>;
  const schema = declared[status];
  const mismatch = (detail: string): ApiResult => ({
    statusCode: 500,
    headers: { 'content-type': 'application/problem+json' },
    body: JSON.stringify({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: `${route.method} ${route.path} answered what its documented responses do not describe: ${detail}`,
    }),
  });
  if (schema === undefined) return mismatch(`status ${status}`);
  if (schema === null) return result.body ? mismatch(`a body with ${status}`) : result;
  let body: unknown;
  try {
    body = JSON.parse(result.body ?? '');
  } catch {
    return mismatch('a body that is not JSON');
  }
  const parsed = schema.safeParse(body);
  return parsed.success
    ? result
    : mismatch(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
}
