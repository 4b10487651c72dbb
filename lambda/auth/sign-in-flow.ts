import { createHash, randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { COOKIES, SESSION } from '#contracts/resources';
import { expiredCookie, sessionCookie } from '#contracts/cookies';
import {
  authorizeUrl,
  exchangeCode,
  refreshTokens,
  revokeToken,
  type OAuthClientSettings,
} from '../shared/oauth-client';
import { HttpError } from '#contracts/problem';
import { logger } from '../shared/observability';
import {
  revokeSession,
  verifySession,
  type AccessSession,
  type RevocationStore,
  type VerifyAccessToken,
} from './session-revocation';

export interface SignInDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly oauth: OAuthClientSettings;
  /** The app's origins; the first is where a relative returnTo resolves. */
  readonly appOrigins: readonly string[];
  readonly cookieDomain?: string | undefined;
  readonly now?: () => Date;
}

const base64url = (b: Buffer) => b.toString('base64url');
const stateKey = (state: string) => `signin#${state}`;
const STATE_COOKIE_PATH = '/auth/callback';
/** The refresh cookie goes only to the auth routes (refresh and logout), never to the rest of the API. */
const REFRESH_COOKIE_PATH = '/auth';

/**
 * Where the browser goes after sign-in, decided on the URL a browser would follow, never on the text:
 * WHATWG parsers read `/\evil.example`, `/<tab>/evil.example` or ` //evil.example` as another host. The
 * resolved URL's origin must be one of the app's, and the browser gets that URL as serialized here, so it
 * cannot read the Location header differently from this check.
 */
export function resolveReturnTo(returnTo: string | undefined, appOrigins: readonly string[]): string {
  const origins = appOrigins.map((o) => new URL(o).origin);
  const home = origins[0];
  if (!home) throw new Error('No app origin configured');
  const target = returnTo ?? '/';
  // URL.canParse, not URL.parse: the engines field admits Node 20 releases before URL.parse.
  const url = URL.canParse(target, home) ? new URL(target, home) : undefined;
  // A blob: URL carries its creator's origin, but no browser follows a redirect to one.
  if (!url || !origins.includes(url.origin) || !/^https?:$/.test(url.protocol)) {
    throw new HttpError(400, 'returnTo must stay on the app', [
      {
        field: 'query.returnTo',
        message: url ? `${url.protocol}//${url.host} is not one of the app's origins` : 'not a URL',
      },
    ]);
  }
  return url.toString();
}

/** Starts a sign-in: one-time state and PKCE verifier kept server-side, the state bound to this browser. */
export async function startSignIn(
  deps: SignInDeps,
  input: { returnTo?: string | undefined; provider?: string | undefined },
): Promise<{ location: string; cookie: string }> {
  const returnTo = resolveReturnTo(input.returnTo, deps.appOrigins);
  const state = base64url(randomBytes(32));
  const verifier = base64url(randomBytes(48));
  const challenge = base64url(createHash('sha256').update(verifier).digest());
  const now = deps.now?.() ?? new Date();
  await deps.ddb.send(
    new PutCommand({
      TableName: deps.tableName,
      Item: {
        pk: stateKey(state),
        verifier,
        returnTo,
        expiresAt: Math.floor(now.getTime() / 1000) + SESSION.signInMinutes * 60,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
  return {
    location: authorizeUrl(deps.oauth, { state, codeChallenge: challenge, provider: input.provider }),
    cookie: sessionCookie(COOKIES.oauthState, state, {
      path: STATE_COOKIE_PATH,
      maxAgeSeconds: SESSION.signInMinutes * 60,
    }),
  };
}

function sessionCookies(
  deps: Pick<SignInDeps, 'cookieDomain'>,
  tokens: { access_token: string; expires_in: number; refresh_token?: string | undefined },
) {
  const cookies = [
    sessionCookie(COOKIES.access, tokens.access_token, {
      domain: deps.cookieDomain,
      maxAgeSeconds: tokens.expires_in,
    }),
  ];
  if (tokens.refresh_token) {
    cookies.push(
      sessionCookie(COOKIES.refresh, tokens.refresh_token, {
        domain: deps.cookieDomain,
        path: REFRESH_COOKIE_PATH,
        maxAgeSeconds: SESSION.refreshTokenDays * 24 * 3600,
      }),
    );
  }
  return cookies;
}

/**
 * Completes a sign-in. The state must match this browser's state cookie (a forged callback fails) and is
 * consumed atomically (a replayed callback fails), before the code is exchanged with the verifier.
 */
export async function completeSignIn(
  deps: SignInDeps,
  input: { code: string; state: string; stateCookie: string | undefined },
): Promise<{ location: string; cookies: string[] }> {
  if (!input.stateCookie || input.stateCookie !== input.state) {
    throw new HttpError(403, 'This sign-in was not started in this browser');
  }
  let item: Record<string, unknown> | undefined;
  try {
    const res = await deps.ddb.send(
      new DeleteCommand({
        TableName: deps.tableName,
        Key: { pk: stateKey(input.state) },
        ConditionExpression: 'attribute_exists(pk)',
        ReturnValues: 'ALL_OLD',
      }),
    );
    item = res.Attributes;
  } catch (e) {
    if (e instanceof ConditionalCheckFailedException) {
      throw new HttpError(400, 'This sign-in is unknown or was already completed; start again');
    }
    throw e;
  }
  const now = deps.now?.() ?? new Date();
  if (!item || Number(item.expiresAt) * 1000 <= now.getTime()) {
    throw new HttpError(400, 'This sign-in has expired; start again');
  }
  const tokens = await exchangeCode(deps.oauth, input.code, String(item.verifier));
  return {
    location: String(item.returnTo),
    cookies: [
      ...sessionCookies(deps, tokens),
      expiredCookie(COOKIES.oauthState, { path: STATE_COOKIE_PATH }),
    ],
  };
}

export async function refreshSession(
  deps: Pick<SignInDeps, 'oauth' | 'cookieDomain'>,
  refreshToken: string | undefined,
): Promise<string[]> {
  if (!refreshToken) throw new HttpError(401, 'No session to refresh; sign in');
  const tokens = await refreshTokens(deps.oauth, refreshToken);
  return sessionCookies(deps, tokens);
}

export interface EndSessionDeps extends Pick<SignInDeps, 'oauth' | 'cookieDomain' | 'now'>, RevocationStore {
  readonly verify: VerifyAccessToken;
}

/**
 * Ends a session: revokes the refresh token at the OAuth server (no new access tokens) and marks the
 * session of each access token the caller presented revoked (the API refuses its tokens at once), then
 * expires the cookies. Only a token the platform verifier accepts names a session to mark, or anyone could
 * log anyone out; a missing, expired or garbage token marks nothing and logout still succeeds.
 */
export async function endSession(
  deps: EndSessionDeps,
  input: { refreshToken: string | undefined; accessTokens: readonly (string | undefined)[] },
): Promise<string[]> {
  const sessions = new Map<string, AccessSession>();
  for (const token of new Set(input.accessTokens)) {
    if (!token) continue;
    try {
      const { session } = await verifySession(deps.verify, token);
      sessions.set(session.id, session);
    } catch (e) {
      logger.info('Logout with an access token that does not verify; no session marked', {
        reason: (e as Error).message,
      });
    }
  }
  const now = deps.now?.() ?? new Date();
  // Both halves are attempted whatever the other does; a failure of either still fails the logout.
  const results = await Promise.allSettled([
    ...(input.refreshToken ? [revokeToken(deps.oauth, input.refreshToken)] : []),
    ...[...sessions.values()].map((session) => revokeSession(deps, session, now)),
  ]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return [
    expiredCookie(COOKIES.access, { domain: deps.cookieDomain }),
    expiredCookie(COOKIES.refresh, { domain: deps.cookieDomain, path: REFRESH_COOKIE_PATH }),
  ];
}
