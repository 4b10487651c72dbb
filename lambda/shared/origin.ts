import { HttpError } from '#contracts/problem';

/**
 * Cookie-authenticated requests that change state must come from one of the app's origins. SameSite=Lax
 * already stops other sites; this also stops sibling subdomains under the same parent domain.
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
