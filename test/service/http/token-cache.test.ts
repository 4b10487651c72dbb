import type { Identity } from '#contracts/access-token';
import { cachedVerifier } from '#service/http/token-cache';

/** A token shaped like a JWT whose payload has this `exp` (the cache reads only that). */
const token = (name: string, expSeconds: number) =>
  ['header', Buffer.from(JSON.stringify({ sub: name, exp: expSeconds })).toString('base64url'), 'sig'].join(
    '.',
  );

describe('verified-token cache', () => {
  let now = 1_000_000_000_000;
  const calls: string[] = [];
  const verify = async (t: string): Promise<Identity> => {
    calls.push(t);
    if (t.startsWith('bad')) throw new Error('invalid signature');
    return { sub: t.slice(0, 12), email: undefined, roles: ['learner'] };
  };
  beforeEach(() => {
    calls.length = 0;
  });

  it('verifies a token once and answers again from memory until it expires', async () => {
    const cached = cachedVerifier(verify, { now: () => now });
    const t = token('a', now / 1000 + 60);
    const first = await cached(t);
    expect(await cached(t)).toBe(first);
    expect(calls).toEqual([t]);
    now += 61_000;
    await cached(t);
    expect(calls).toEqual([t, t]);
  });

  it('never remembers a token that failed, nor one already expired', async () => {
    const cached = cachedVerifier(verify, { now: () => now });
    const bad = `bad.${token('b', now / 1000 + 60)}`;
    await expect(cached(bad)).rejects.toThrow('invalid signature');
    await expect(cached(bad)).rejects.toThrow('invalid signature');
    const stale = token('c', now / 1000 - 1);
    await cached(stale);
    await cached(stale);
    expect(calls).toEqual([bad, bad, stale, stale]);
  });

  it('forgets the oldest token when full', async () => {
    const cached = cachedVerifier(verify, { now: () => now, maxEntries: 2 });
    const [a, b, c] = ['a', 'b', 'c'].map((n) => token(n, now / 1000 + 60)) as [string, string, string];
    for (const t of [a, b, c, b, c, a]) await cached(t);
    expect(calls).toEqual([a, b, c, a]);
  });
});
