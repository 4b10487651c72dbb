import type { Identity } from '#contracts/access-token';
import type { VerifyToken } from './identity';

export interface TokenCacheOptions {
  /** Tokens remembered at most; the oldest go first. @default 10000 */
  readonly maxEntries?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Remembers verified tokens until they expire. A browser sends the same access token with every request
 * for up to an hour, and checking its RSA signature each time is the largest share of a cheap request's
 * CPU. Nothing is lost: a token verified once stays valid until its `exp` (revocation is not checked by
 * the verifier either), and a token that failed is never remembered.
 */
export function cachedVerifier(verify: VerifyToken, options: TokenCacheOptions = {}): VerifyToken {
  const max = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { identity: Identity; expiresAtMs: number }>();
  return async (token) => {
    const hit = cache.get(token);
    if (hit && hit.expiresAtMs > now()) return hit.identity;
    if (hit) cache.delete(token);
    const identity = await verify(token);
    const expiresAtMs = expiryOf(token);
    if (expiresAtMs > now()) {
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
      cache.set(token, { identity, expiresAtMs });
    }
    return identity;
  };
}

/** The `exp` of a token the verifier accepted (so its payload is well-formed JSON), in ms; 0 if absent. */
function expiryOf(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as {
    exp?: unknown;
  };
  return typeof payload.exp === 'number' ? payload.exp * 1000 : 0;
}
