import { generateKeyPairSync } from 'node:crypto';
import { getSignedCookies, getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { verifySigned } from '#local/playback-cdn';

/*
 * The local distribution's check must accept exactly what CloudFront accepts from AWS's own signer, or
 * `npm start` would pass what AWS refuses (or the reverse). Signed here with @aws-sdk/cloudfront-signer.
 */

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const keys = new Map([['K1', publicKey]]);
const NOW = new Date('2026-11-23T09:00:00Z');
const epoch = (d: Date) => Math.floor(d.getTime() / 1000);
const origin = 'http://127.0.0.1:9000';

const policyFor = (resource: string, until: Date, from?: Date) =>
  JSON.stringify({
    Statement: [
      {
        Resource: resource,
        Condition: {
          DateLessThan: { 'AWS:EpochTime': epoch(until) },
          ...(from ? { DateGreaterThan: { 'AWS:EpochTime': epoch(from) } } : {}),
        },
      },
    ],
  });

/** Cookies as CloudFront reads them: by name without the `CloudFront-` prefix. */
const credentials = (cookies: Record<string, string | number | undefined>) =>
  Object.fromEntries(Object.entries(cookies).map(([k, v]) => [k.replace(/^CloudFront-/, ''), v?.toString()]));

const later = new Date(NOW.getTime() + 600_000);

describe('verifySigned, the local distribution’s check', () => {
  it.each(['SHA1', 'SHA256'] as const)(
    'accepts %s custom-policy cookies for every URL under the path',
    (algorithm) => {
      const signed = getSignedCookies({
        policy: policyFor(`${origin}/hls/a/*`, later),
        keyPairId: 'K1',
        privateKey: pem,
        algorithm,
      });
      for (const url of [`${origin}/hls/a/index.m3u8`, `${origin}/hls/a/720p/segment_00001.ts`]) {
        expect(verifySigned(credentials({ ...signed }), url, keys, NOW)).toEqual({ ok: true });
      }
      expect(verifySigned(credentials({ ...signed }), `${origin}/hls/b/index.m3u8`, keys, NOW)).toEqual({
        ok: false,
        reason: expect.stringContaining('does not cover'),
      });
    },
  );

  it('accepts a canned-policy signed URL for its own URL only', () => {
    const url = `${origin}/hls/a/index.m3u8`;
    const signed = new URL(getSignedUrl({ url, keyPairId: 'K1', privateKey: pem, dateLessThan: later }));
    const params = Object.fromEntries(signed.searchParams);
    expect(verifySigned(params, url, keys, NOW)).toEqual({ ok: true });
    expect(verifySigned(params, `${origin}/hls/a/other.m3u8`, keys, NOW).ok).toBe(false);
  });

  it('refuses missing, expired, not-yet-valid, foreign-key and tampered credentials', () => {
    const url = `${origin}/hls/a/index.m3u8`;
    const sign = (policy: string, key = pem) =>
      credentials({ ...getSignedCookies({ policy, keyPairId: 'K1', privateKey: key }) });
    const reasons = [
      verifySigned({}, url, keys, NOW),
      verifySigned(sign(policyFor(`${origin}/hls/a/*`, NOW)), url, keys, NOW),
      verifySigned(sign(policyFor(`${origin}/hls/a/*`, later, later)), url, keys, NOW),
      verifySigned(
        sign(
          policyFor(`${origin}/hls/a/*`, later),
          other.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        ),
        url,
        keys,
        NOW,
      ),
      verifySigned({ ...sign(policyFor(`${origin}/hls/a/*`, later)), 'Key-Pair-Id': 'K9' }, url, keys, NOW),
      verifySigned(
        // A policy widened to every video, carrying the signature of the narrow one.
        {
          ...sign(policyFor(`${origin}/hls/a/*`, later)),
          Policy: Buffer.from(policyFor(`${origin}/*`, later)).toString('base64'),
        },
        url,
        keys,
        NOW,
      ),
    ].map((v) => (v.ok ? 'ok' : v.reason.split(':')[0]));
    expect(reasons).toEqual([
      'Missing Key',
      'Access Denied',
      'Access Denied',
      'Access Denied',
      'Unknown Key',
      'Access Denied',
    ]);
  });
});
