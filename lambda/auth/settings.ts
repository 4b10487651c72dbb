import { createAccessTokenVerifier } from '#contracts/access-token';
import { csv, readEnv, readOptionalEnv } from '../shared/env';
import type { OAuthClientSettings } from '../shared/oauth-client';

/** The auth routes' configuration, read once per execution environment. */
export function authSettings(): {
  oauth: OAuthClientSettings;
  appOrigins: string[];
  cookieDomain: string | undefined;
} {
  const env = readEnv('oauthBaseUrl', 'oauthClientId', 'oauthRedirectUri', 'appOrigins');
  return {
    oauth: { baseUrl: env.oauthBaseUrl, clientId: env.oauthClientId, redirectUri: env.oauthRedirectUri },
    appOrigins: csv(env.appOrigins),
    cookieDomain: readOptionalEnv('cookieDomain'),
  };
}

/** The platform's access token verifier for the issuer and clients the environment names. */
export function tokenVerifier() {
  const env = readEnv('tokenIssuer', 'tokenJwksUri', 'tokenClientIds');
  return createAccessTokenVerifier({
    issuer: env.tokenIssuer,
    jwksUri: env.tokenJwksUri,
    clientIds: csv(env.tokenClientIds),
  });
}
