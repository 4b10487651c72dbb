import type { APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { COOKIES } from '#contracts/resources';
import type { Identity } from '#contracts/access-token';
import { readCookies } from '#contracts/cookies';
import type { AuthorizerContext } from '../shared/http-handler';
import { logger } from '../shared/observability';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** API Gateway answers 401 when an authorizer fails with exactly this message. */
export const UNAUTHORIZED = 'Unauthorized';

/** The parts of API Gateway's authorizer event (payload v2) the decision reads. */
export interface AuthorizerRequest {
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly cookies?: readonly string[];
  readonly requestContext: { readonly http: { readonly method: string } };
}

export interface AuthorizeDeps {
  readonly verify: (token: string) => Promise<Identity>;
  readonly appOrigins: readonly string[];
}

/**
 * Accepts an access token from the Authorization header (API clients) or the HttpOnly session cookie
 * (browsers): API Gateway's JWT authorizer reads only headers and query strings, so cookie sessions need
 * this Lambda authorizer, with the same verifier the core service and the local runner use.
 */
export async function authorizeRequest(
  deps: AuthorizeDeps,
  event: AuthorizerRequest,
): Promise<APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>> {
  const headers = event.headers ?? {};
  const bearer = /^Bearer (\S+)$/i.exec(headers.authorization ?? '')?.[1];
  const cookie = readCookies(event.cookies, headers.cookie)[COOKIES.access];
  const token = bearer ?? cookie;
  if (!token) throw new Error(UNAUTHORIZED);

  let identity: Identity;
  try {
    identity = await deps.verify(token);
  } catch (e) {
    logger.info('Token refused', { reason: (e as Error).message });
    throw new Error(UNAUTHORIZED);
  }
  const method = event.requestContext.http.method;
  if (!bearer && !SAFE_METHODS.has(method)) {
    const origin = headers.origin;
    if (!origin || !deps.appOrigins.includes(origin)) {
      logger.warn('Cookie-authenticated write from a foreign origin', { origin });
      return { isAuthorized: false, context: { sub: '', email: '', roles: '' } };
    }
  }
  return {
    isAuthorized: true,
    context: { sub: identity.sub, email: identity.email ?? '', roles: identity.roles.join(',') },
  };
}
