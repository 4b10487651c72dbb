import type { ApiEvent, AuthorizerContext } from '#lambda/shared/http-handler';

/** An HTTP API payload v2 event as API Gateway sends it, for handler tests. */
export function apiEvent(o: {
  method?: string;
  path?: string;
  query?: Record<string, string>;
  pathParameters?: Record<string, string>;
  headers?: Record<string, string>;
  cookies?: string[];
  body?: string;
  authorizer?: AuthorizerContext;
}): ApiEvent {
  const method = o.method ?? 'GET';
  const path = o.path ?? '/';
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: new URLSearchParams(o.query).toString(),
    headers: o.headers ?? {},
    ...(o.cookies ? { cookies: o.cookies } : {}),
    ...(o.query ? { queryStringParameters: o.query } : {}),
    ...(o.pathParameters ? { pathParameters: o.pathParameters } : {}),
    ...(o.body !== undefined ? { body: o.body } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.1', userAgent: 'jest' },
      requestId: 'req-1',
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: '23/Nov/2026:10:00:00 +0000',
      timeEpoch: 0,
      authorizer: o.authorizer ? { lambda: o.authorizer } : undefined,
    },
  } as ApiEvent;
}
