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
