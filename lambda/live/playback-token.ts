import { importPKCS8, type KeyLike, SignJWT } from 'jose';
import { IVS_LIMITS } from '#contracts/live';

/*
 * Playback of a private IVS channel: the player opens `<playbackUrl>?token=<jwt>`, an ES384 JWT signed with
 * the private half of the playback key pair whose public half IVS holds. IVS checks the channel ARN, the
 * expiry, the origin the browser plays from and, with a viewer id, allows no more than ten minutes.
 */

export interface PlaybackTokenDeps {
  /** The playback key's private half, PKCS#8 PEM (P-384); cached by whoever reads the secret. */
  readonly playbackKey: () => Promise<string>;
  /** Browser origins that may play (`aws:access-control-allow-origin`); none: any origin. */
  readonly playbackOrigins: readonly string[];
  readonly now: () => Date;
}

const imported = new Map<string, Promise<KeyLike>>();

/** Importing a PEM costs more than signing; a warm function imports each key once. */
function signingKey(pem: string): Promise<KeyLike> {
  let key = imported.get(pem);
  if (!key) {
    key = importPKCS8(pem, 'ES384');
    // A rotated key replaces the old one rather than growing the cache.
    imported.clear();
    imported.set(pem, key);
  }
  return key;
}

export interface PlaybackGrant {
  readonly playbackUrl: string;
  readonly expiresAt: string;
}

/** A playback URL for one viewer of one channel, valid for IVS_LIMITS.playbackTokenSeconds. */
export async function playbackGrant(
  deps: PlaybackTokenDeps,
  channel: { readonly channelArn: string; readonly playbackUrl: string },
  viewerId: string,
): Promise<PlaybackGrant> {
  const now = Math.floor(deps.now().getTime() / 1000);
  const exp = now + IVS_LIMITS.playbackTokenSeconds;
  const token = await new SignJWT({
    'aws:channel-arn': channel.channelArn,
    'aws:viewer-id': viewerId,
    // Omitted, IVS lets any origin play: only a platform without configured origins (local) omits it.
    ...(deps.playbackOrigins.length
      ? { 'aws:access-control-allow-origin': deps.playbackOrigins.join(',') }
      : {}),
  })
    .setProtectedHeader({ alg: 'ES384', typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(exp)
    .sign(await signingKey(await deps.playbackKey()));
  return {
    playbackUrl: `${channel.playbackUrl}?token=${token}`,
    expiresAt: new Date(exp * 1000).toISOString(),
  };
}
