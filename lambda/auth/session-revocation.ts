import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { decomposeUnverifiedJwt } from 'aws-jwt-verify/jwt';
import * as z from 'zod';
import type { Identity } from '#contracts/access-token';
import { SESSION } from '#contracts/resources';

/**
 * Logout ends a session at once for this platform's API: Cognito's RevokeToken stops the refresh token, but
 * its access tokens stay valid to every JWT verifier until they expire. So logout leaves a marker in the
 * auth-flow table (`revoked#<session id>`, TTL `expiresAt`) that the API's authorizer checks after the
 * signature.
 */

/** The platform verifier (`createAccessTokenVerifier`): the token's identity, or it throws. */
export type VerifyAccessToken = (token: string) => Promise<Identity>;

/** The sign-in an access token belongs to, and when the token expires (epoch seconds). */
export interface AccessSession {
  readonly id: string;
  readonly expiresAt: number | undefined;
}

/** Where markers live: the auth-flow table. */
export interface RevocationStore {
  readonly ddb: DynamoDBDocumentClient;
  readonly tableName: string;
}

export const revokedKey = (sessionId: string): string => `revoked#${sessionId}`;

// Cognito's are UUIDs; anything signed but stranger is refused rather than written into a key.
const tokenId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/);
const sessionClaims = z.object({
  jti: tokenId.optional(),
  origin_jti: tokenId.optional(),
  exp: z.number().int().positive().optional(),
});

/** The token in `Authorization: Bearer <token>`, as the authorizer reads it. */
export const bearerToken = (headers: Readonly<Record<string, string | undefined>>): string | undefined =>
  /^Bearer (\S+)$/i.exec(headers.authorization ?? '')?.[1];

/**
 * Verifies a token with the platform verifier and names its session. `origin_jti` is shared by every access
 * token refreshed from one sign-in (Cognito, and the local issuer), so revoking it also ends tokens another
 * tab refreshed; a token without it is its own session (`jti`). A token naming neither cannot be revoked,
 * so it is refused like an invalid one.
 */
export async function verifySession(
  verify: VerifyAccessToken,
  token: string,
): Promise<{ identity: Identity; session: AccessSession }> {
  const identity = await verify(token);
  // Read only after the verifier accepted this very string, so the payload is the signed one (the verifier
  // answers the identity alone).
  const claims = sessionClaims.safeParse(decomposeUnverifiedJwt(token).payload);
  const id = claims.success ? (claims.data.origin_jti ?? claims.data.jti) : undefined;
  if (!claims.success || !id) throw new Error('The token names no session (origin_jti or jti)');
  return { identity, session: { id, expiresAt: claims.data.exp } };
}

/**
 * Marks a session revoked until no token of it can still be valid: at least the presented token's expiry,
 * and, since a token another tab refreshed from the same sign-in a moment ago expires later, a full access
 * token lifetime from now. Then TTL removes the marker; until it does, a marker past its time only refuses
 * tokens that have expired anyway.
 */
export async function revokeSession(
  store: RevocationStore,
  session: AccessSession,
  now: Date,
): Promise<void> {
  const expiresAt = Math.max(
    session.expiresAt ?? 0,
    Math.ceil(now.getTime() / 1000) + SESSION.accessTokenMinutes * 60,
  );
  await store.ddb.send(
    new PutCommand({ TableName: store.tableName, Item: { pk: revokedKey(session.id), expiresAt } }),
  );
}

/**
 * Answers are reused this long per execution environment, revoked or not. So a logged-out token may still
 * pass for up to 5 s on an environment that asked just before the logout (then every environment refuses
 * it): far less than the minutes it would live without the marker, and the price of one read per session
 * and environment every 5 s instead of one per request; a revoked token replayed in a loop costs no more.
 */
export const REVOCATION_CACHE_MS = 5000;

export interface RevocationCheckOptions extends RevocationStore {
  /** How long an answer is reused in this execution environment. @default REVOCATION_CACHE_MS */
  readonly cacheMs?: number;
  /** At most this many sessions are remembered; the oldest answer goes first. @default 10000 */
  readonly maxEntries?: number;
  /** Milliseconds, as Date.now. */
  readonly now?: () => number;
}

/** Is this session revoked? A check with a brief per-environment cache; DynamoDB errors propagate. */
export function revocationCheck(o: RevocationCheckOptions): (sessionId: string) => Promise<boolean> {
  const cacheMs = o.cacheMs ?? REVOCATION_CACHE_MS;
  const maxEntries = o.maxEntries ?? 10_000;
  const now = o.now ?? (() => Date.now());
  // Insertion order is expiry order (one lifetime for all), so the first key is always the one to evict.
  const answers = new Map<string, { revoked: boolean; until: number }>();
  return async (sessionId) => {
    const cached = answers.get(sessionId);
    if (cached && cached.until > now()) return cached.revoked;
    const { Item } = await o.ddb.send(
      new GetCommand({
        TableName: o.tableName,
        Key: { pk: revokedKey(sessionId) },
        // Logout answers after its write; an eventually consistent read could miss it for a moment longer.
        ConsistentRead: true,
        ProjectionExpression: 'pk',
      }),
    );
    const revoked = Item !== undefined;
    answers.delete(sessionId);
    if (answers.size >= maxEntries) answers.delete(answers.keys().next().value!);
    answers.set(sessionId, { revoked, until: now() + cacheMs });
    return revoked;
  };
}
