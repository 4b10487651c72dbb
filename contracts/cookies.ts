import { parse, serialize, type SerializeOptions } from 'cookie';

/** API Gateway's v2 payload puts request cookies in `cookies`; some clients still send a Cookie header. */
export function readCookies(cookies: readonly string[] | undefined, header?: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of [...(cookies ?? []), ...(header ? [header] : [])]) {
    for (const [name, value] of Object.entries(parse(part))) {
      if (value !== undefined && !(name in out)) out[name] = value;
    }
  }
  return out;
}

export interface SessionCookieOptions {
  /** Parent domain shared by the app and the API; host-only when unset. */
  readonly domain?: string | undefined;
  readonly path?: string;
  readonly maxAgeSeconds: number;
}

/** Session cookies are never readable by script and never sent cross-site. */
export function sessionCookie(name: string, value: string, o: SessionCookieOptions): string {
  const options: SerializeOptions = {
    httpOnly: true,
    secure: true,
    sameSite: 'lax',
    path: o.path ?? '/',
    maxAge: o.maxAgeSeconds,
    ...(o.domain ? { domain: o.domain } : {}),
  };
  return serialize(name, value, options);
}

export function expiredCookie(name: string, o: Omit<SessionCookieOptions, 'maxAgeSeconds'>): string {
  return sessionCookie(name, '', { ...o, maxAgeSeconds: 0 });
}
