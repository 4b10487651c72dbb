import type { APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { COOKIES } from '#contracts/resources';
import type { Identity } from '#contracts/access-token';
import { readCookies } from '#contracts/cookies';
import type { AuthorizerContext } from '../shared/http-handler';
import { logger } from '../shared/observability';
import { verifySession, type VerifyAccessToken } from './session-revocation';

/** API Gateway answers 401 when an authorizer fails with exactly this message. */
export const UNAUTHORIZED = 'Unauthorized';

/** The parts of API Gateway's authorizer event (payload v2) the decision reads. */
export interface AuthorizerRequest {
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly cookies?: readonly string[];
}

export interface AuthorizeDeps {
  readonly verify: VerifyAccessToken;
  /** Whether logout ended this session (`revocationCheck`). */
  readonly isRevoked: (sessionId: string) => Promise<boolean>;
}

/**
 * The revocation marker is a second line behind a short-lived token whose signature already held. When
 * DynamoDB cannot answer, failing closed would sign every user out (401) and an authorizer error would be
 * API Gateway's 500 for every request; the token is admitted instead, for at most its remaining minutes.
 */
async function revoked(deps: AuthorizeDeps, sessionId: string): Promise<boolean> {
  try {
    return await deps.isRevoked(sessionId);
  } catch (e) {
    logger.warn('Revocation check unavailable; admitting a verified token', { error: e as Error });
    return false;
  }
}

/**
 * Accepts the access token in the HttpOnly session cookie, which every client sends (browsers by themselves,
 * API clients as `Cookie: lms_access=<token>`). API Gateway's JWT authorizer reads only headers and query
 * strings, so the cookie needs this Lambda authorizer, with the same verifier the core service and the local
 * runner use. A session ended by logout is refused like an invalid token.
 *
 * API Gateway caches the answer by the Cookie header (`SESSION.authorizerCacheSeconds`), so it must depend
 * on that header alone: not on the method, the path, the Origin (routes check it: `assertAllowedCookieWrite`)
 * or an Authorization header, which a later request with the same cookies may not carry.
 */
export async function authorizeRequest(
  deps: AuthorizeDeps,
  event: AuthorizerRequest,
): Promise<APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>> {
  const token = readCookies(event.cookies, event.headers?.cookie)[COOKIES.access];
  if (!token) throw new Error(UNAUTHORIZED);

  let identity: Identity;
  let sessionId: string;
  try {
    const verified = await verifySession(deps.verify, token);
    identity = verified.identity;
    sessionId = verified.session.id;
  } catch (e) {
    logger.info('Token refused', { reason: (e as Error).message });
    throw new Error(UNAUTHORIZED);
  }
  if (await revoked(deps, sessionId)) {
    logger.info('Token refused', { reason: 'its session was logged out', sub: identity.sub });
    throw new Error(UNAUTHORIZED);
  }
  return {
    isAuthorized: true,
    context: { sub: identity.sub, email: identity.email ?? '', roles: identity.roles.join(',') },
  };
}
