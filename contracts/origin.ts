import { COOKIES } from './resources';
import { readCookies } from './cookies';
import { HttpError } from './problem';
import { IDEMPOTENCY_KEY_HEADER } from './idempotency-key';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Cookie-authenticated requests that change state must come from one of the app's origins. SameSite=Lax
 * already stops other sites; this also stops sibling subdomains under the same parent domain. A request
 * without Origin is not a browser's (browsers send it with every request that is not a GET or HEAD), so it
 * cannot be a forged one.
 */
export function assertAllowedOrigin(
  headers: Readonly<Record<string, string | undefined>>,
  allowedOrigins: readonly string[],
): void {
  const origin = headers.origin;
  if (origin !== undefined && !allowedOrigins.includes(origin)) {
    throw new HttpError(403, `Origin ${origin} may not use the session cookies`);
  }
}

/**
 * The same check for every authenticated route, which the API's authorizer cannot make: API Gateway caches
 * its answer per session cookie, so the answer may not depend on the method or the Origin.
 */
export function assertAllowedCookieWrite(
  request: {
    readonly method: string;
    readonly headers: Readonly<Record<string, string | undefined>>;
    readonly cookies?: readonly string[] | undefined;
  },
  allowedOrigins: readonly string[],
): void {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return;
  if (readCookies(request.cookies, request.headers.cookie)[COOKIES.access] === undefined) return;
  assertAllowedOrigin(request.headers, allowedOrigins);
}

/** The request headers a browser on an app origin may send: API Gateway's CORS and the local runner's. */
export const CORS_ALLOWED_HEADERS = ['content-type', 'authorization', IDEMPOTENCY_KEY_HEADER] as const;
