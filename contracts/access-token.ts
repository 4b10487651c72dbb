import { JwtRsaVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
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

export function identityOf(payload: JwtPayload): Identity {
  const groups = payload['cognito:groups'];
  const roles = (Array.isArray(groups) ? groups : []).filter((g): g is Role =>
    (ROLES as readonly string[]).includes(String(g)),
  );
  return {
    sub: String(payload.sub),
    email: typeof payload.email === 'string' ? payload.email : undefined,
    roles,
  };
}
