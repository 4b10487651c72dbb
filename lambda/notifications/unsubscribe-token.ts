import { createHmac, timingSafeEqual } from 'node:crypto';
import { NOTIFICATION_KINDS, type NotificationKind } from '#contracts/notifications';

/*
 * The signed part of an unsubscribe link: whose e-mail of which kind to stop. The link works without
 * signing in, so its signature is all that stops someone from turning off another person's e-mail.
 */

const mac = (key: string, payload: string) => createHmac('sha256', key).update(payload).digest('base64url');

export function unsubscribeTokenFor(key: string, sub: string, kind: NotificationKind): string {
  const payload = `v1.${Buffer.from(sub, 'utf8').toString('base64url')}.${kind}`;
  return `${payload}.${mac(key, payload)}`;
}

/** The person and kind a token names, when its signature is this key's; undefined otherwise. */
export function verifyUnsubscribeToken(
  key: string,
  token: string,
): { readonly sub: string; readonly kind: NotificationKind } | undefined {
  const parts = token.split('.');
  if (parts.length !== 4 || parts[0] !== 'v1') return undefined;
  const [, encodedSub, kind, signature] = parts as [string, string, string, string];
  const expected = Buffer.from(mac(key, `v1.${encodedSub}.${kind}`), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  if (!(NOTIFICATION_KINDS as readonly string[]).includes(kind)) return undefined;
  const sub = Buffer.from(encodedSub, 'base64url').toString('utf8');
  return sub ? { sub, kind: kind as NotificationKind } : undefined;
}
