import { JwtRsaVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import * as z from 'zod';
import { fieldProblems, HttpError } from './problem';
import { ROLES, type Role } from './resources';

/** Who a verified access token speaks for. */
export interface Identity {
  readonly sub: string;
  readonly email: string | undefined;
  readonly roles: readonly Role[];
}

export interface AccessTokenVerifierOptions {
  /** `https://cognito-idp.<region>.amazonaws.com/<poolId>` in AWS; the local issuer's URL in `npm start`. */
  readonly issuer: string;
  readonly jwksUri: string;
  /**
   * App clients whose access tokens are accepted; null accepts every client of the issuer (the core service,
   * which must not depend on the api stack that creates the web client).
   */
  readonly clientIds: readonly string[] | null;
}

/**
 * Fetches the JWKS with the platform's `fetch`, which also speaks plain http to the local issuer
 * (the library's default fetcher is https-only). The JWKS is cached per execution environment.
 */
const fetchFetcher = {
  async fetch(uri: string): Promise<ArrayBuffer> {
    const res = await fetch(uri, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) throw new Error(`JWKS fetch from ${uri} answered ${res.status}`);
    return res.arrayBuffer();
  },
};

/**
 * The one verification path for access tokens, used by the API's authorizer, the local runner and the core
 * service. Cognito access tokens carry `client_id` instead of `aud`, so the client is checked explicitly.
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions) {
  const verifier = JwtRsaVerifier.create(
    {
      issuer: options.issuer,
      jwksUri: options.jwksUri,
      audience: null,
      customJwtCheck: ({ payload }) => {
        if (payload.token_use !== 'access') throw new Error('not an access token');
        if (typeof payload.client_id !== 'string') throw new Error('token names no client');
        if (options.clientIds && !options.clientIds.includes(payload.client_id)) {
          throw new Error('token issued to another client');
        }
      },
    },
    { jwksCache: new SimpleJwksCache({ fetcher: fetchFetcher }) },
  );
  return async (token: string): Promise<Identity> => identityOf(await verifier.verify(token));
}

/**
 * A user id as the platform stores and compares it: Cognito's subs are UUIDs; visible ASCII up to 128
 * characters admits those and the local issuer's, and keeps control characters out of every query and log.
 */
export const userSub = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'visible ASCII characters only');

/** The claims the platform reads, validated like any input: a token is signed, not necessarily sane. */
const identityClaims = z.object({
  sub: userSub,
  email: z.email().max(254).optional(),
  // Groups that are no role of the platform are ignored, but must still be plain names.
  'cognito:groups': z
    .array(
      z
        .string()
        .min(1)
        .max(128)
        .regex(/^[\x21-\x7e]+$/),
    )
    .max(100)
    .optional(),
});

/** Refuses a verified token whose claims the platform cannot use (401 at the edge, naming the claim). */
export function identityOf(payload: JwtPayload): Identity {
  const parsed = identityClaims.safeParse(payload);
  if (!parsed.success) {
    throw new HttpError(401, 'The access token carries invalid claims', fieldProblems('token', parsed.error));
  }
  const { sub, email, 'cognito:groups': groups = [] } = parsed.data;
  const roles = groups.filter((g): g is Role => (ROLES as readonly string[]).includes(g));
  return { sub, email, roles };
}
