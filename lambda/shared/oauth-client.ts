import * as z from 'zod';
import { HttpError } from '#contracts/problem';

/**
 * The OAuth 2.0 endpoints of Cognito's managed login (the local issuer implements the same ones).
 * A public client: PKCE protects the code, and the tokens never reach script because the exchange
 * happens here, server-side.
 */
export interface OAuthClientSettings {
  readonly baseUrl: string;
  readonly clientId: string;
  readonly redirectUri: string;
}

const tokenResponse = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  expires_in: z.number().int().positive(),
  token_type: z.string(),
});
export type TokenResponse = z.infer<typeof tokenResponse>;

/** Appends to the base URL's path (the local issuer lives under /local; Cognito's domain has no path). */
const endpoint = (s: OAuthClientSettings, path: string) => new URL(`${s.baseUrl.replace(/\/+$/, '')}${path}`);

export function authorizeUrl(
  s: OAuthClientSettings,
  p: { state: string; codeChallenge: string; provider?: string | undefined },
): string {
  const url = endpoint(s, '/oauth2/authorize');
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: s.clientId,
    redirect_uri: s.redirectUri,
    scope: 'openid email profile',
    state: p.state,
    code_challenge: p.codeChallenge,
    code_challenge_method: 'S256',
    ...(p.provider ? { identity_provider: p.provider } : {}),
  }).toString();
  return url.toString();
}

async function post(s: OAuthClientSettings, path: string, form: Record<string, string>): Promise<Response> {
  try {
    return await fetch(endpoint(s, path), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(5000),
    });
  } catch (e) {
    throw new HttpError(502, `The sign-in service did not answer: ${(e as Error).message}`);
  }
}

async function tokens(s: OAuthClientSettings, form: Record<string, string>): Promise<TokenResponse> {
  const res = await post(s, '/oauth2/token', { client_id: s.clientId, ...form });
  if (res.status === 400 || res.status === 401) {
    // invalid_grant: a used, expired or foreign code or refresh token. The user must sign in again.
    throw new HttpError(401, 'The sign-in grant is invalid or was already used; sign in again');
  }
  if (!res.ok) throw new HttpError(502, `The sign-in service answered ${res.status}`);
  const parsed = tokenResponse.safeParse(await res.json());
  if (!parsed.success) throw new HttpError(502, 'The sign-in service answered with an unexpected body');
  return parsed.data;
}

export const exchangeCode = (s: OAuthClientSettings, code: string, codeVerifier: string) =>
  tokens(s, {
    grant_type: 'authorization_code',
    code,
    code_verifier: codeVerifier,
    redirect_uri: s.redirectUri,
  });

export const refreshTokens = (s: OAuthClientSettings, refreshToken: string) =>
  tokens(s, { grant_type: 'refresh_token', refresh_token: refreshToken });

export async function revokeToken(s: OAuthClientSettings, refreshToken: string): Promise<void> {
  const res = await post(s, '/oauth2/revoke', { client_id: s.clientId, token: refreshToken });
  // Revoking an unknown or already revoked token is not the caller's problem: the session ends either way.
  if (!res.ok && res.status !== 400) throw new HttpError(502, `The sign-in service answered ${res.status}`);
}
