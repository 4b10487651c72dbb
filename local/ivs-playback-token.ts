import type { KeyObject } from 'node:crypto';
import { errors, jwtVerify } from 'jose';
import * as z from 'zod';
import { IVS_LIMITS } from '#contracts/live';

/*
 * IVS's check of a private channel's playback token, for the local IVS's HLS endpoint. The token schema is
 * IVS's ("Generate and Sign IVS Playback Tokens", docs.aws.amazon.com/ivs/latest/LowLatencyUserGuide/
 * private-channels-generate-tokens.html): an ES384 JWT signed by the private half of an imported playback key
 * pair, with `aws:channel-arn` naming the channel, `exp` in the future, and optionally
 * `aws:access-control-allow-origin` (comma-separated origins, a host may start with `*`), `aws:viewer-id`
 * (at most 40 characters) and `aws:single-use-uuid`, the last two with `exp` at most 10 minutes ahead.
 * The documentation names no wildcard for the channel ARN, so none is accepted here.
 */

export type TokenVerdict =
  | {
      readonly ok: true;
      readonly viewerId?: string;
      readonly singleUseUuid?: string;
      readonly allowedOrigins?: string;
    }
  | { readonly ok: false; readonly reason: string };

const claims = z.object({
  'aws:channel-arn': z.string().min(1),
  'aws:access-control-allow-origin': z.string().min(1).optional(),
  'aws:strict-origin-enforcement': z.boolean().optional(),
  'aws:viewer-id': z.string().min(1).max(40).optional(),
  'aws:single-use-uuid': z.uuid().optional(),
  'aws:viewer-session-version': z.number().int().optional(),
  exp: z.number(),
});

/** Whether `origin` is one of the token's origins; a host may begin with `*` (`https://*.example.com`). */
export function originAllowed(allowed: string, origin: string): boolean {
  return allowed
    .split(',')
    .map((o) => o.trim())
    .some((pattern) => {
      if (pattern === '*') return true;
      const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]+');
      return new RegExp(`^${escaped}$`).test(origin);
    });
}

/**
 * Verifies `token` for `channelArn` against the imported public keys at `now`. The request's Origin, when a
 * browser sends one, must be among the token's allowed origins.
 */
export async function verifyPlaybackToken(
  token: string,
  channelArn: string,
  keys: readonly KeyObject[],
  now: Date,
  origin: string | undefined,
): Promise<TokenVerdict> {
  if (keys.length === 0) return { ok: false, reason: 'no playback key pair is imported' };
  let payload: unknown;
  let lastError = 'the token is not signed by an imported playback key';
  for (const key of keys) {
    try {
      // ES384 only: `none`, HMAC and every other algorithm are refused before the signature is looked at.
      ({ payload } = await jwtVerify(token, key, {
        algorithms: ['ES384'],
        currentDate: now,
        requiredClaims: ['exp'],
      }));
      break;
    } catch (error) {
      if (error instanceof errors.JWTExpired) return { ok: false, reason: 'the token has expired' };
      if (error instanceof errors.JOSEAlgNotAllowed)
        return { ok: false, reason: 'the token is not signed with ES384' };
      if (!(error instanceof errors.JWSSignatureVerificationFailed))
        lastError = `the token is malformed (${(error as Error).message})`;
    }
  }
  if (payload === undefined) return { ok: false, reason: lastError };
  const parsed = claims.safeParse(payload);
  if (!parsed.success) return { ok: false, reason: 'the token does not carry IVS playback claims' };
  const c = parsed.data;
  if (c['aws:channel-arn'] !== channelArn) return { ok: false, reason: 'the token is for another channel' };
  const bounded = c['aws:viewer-id'] !== undefined || c['aws:single-use-uuid'] !== undefined;
  if (bounded && c.exp > now.getTime() / 1000 + IVS_LIMITS.playbackTokenSeconds)
    return {
      ok: false,
      reason: 'a token with a viewer id or single-use id may be valid for at most 10 minutes',
    };
  const allowed = c['aws:access-control-allow-origin'];
  if (allowed !== undefined && origin !== undefined && !originAllowed(allowed, origin))
    return { ok: false, reason: `the token does not allow the origin ${origin}` };
  return {
    ok: true,
    ...(c['aws:viewer-id'] ? { viewerId: c['aws:viewer-id'] } : {}),
    ...(c['aws:single-use-uuid'] ? { singleUseUuid: c['aws:single-use-uuid'] } : {}),
    ...(allowed ? { allowedOrigins: allowed } : {}),
  };
}
