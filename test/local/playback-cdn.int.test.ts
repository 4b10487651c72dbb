import { generateKeyPairSync } from 'node:crypto';
import { request } from 'node:http';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedCookies } from '@aws-sdk/cloudfront-signer';
import { LocalObjectStore } from '#local/object-store';
import { LocalPlaybackCdn } from '#local/playback-cdn';

/*
 * The local distribution in front of the local store, asked for paths that climb out of the signed video:
 * encoded, double-encoded, mixed-case, backslashed, overlong and NUL-carrying forms. CloudFront checks the
 * signature against the URL and S3 reads keys literally, so none of them reaches another video or the upload
 * bucket in AWS; locally, where objects are files, none may either. Requests go out on raw sockets, since
 * fetch would normalize the paths before sending them.
 */

const OUTPUT = 'cdn-output';
const UPLOADS = 'cdn-uploads';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
let store: LocalObjectStore;
let s3: S3Client;
let cdn: LocalPlaybackCdn;
let cookie: string;

beforeAll(async () => {
  store = await LocalObjectStore.start({ uploadBucket: UPLOADS, outputBucket: OUTPUT });
  s3 = store.client();
  const put = (Bucket: string, Key: string, Body: string) =>
    s3.send(new PutObjectCommand({ Bucket, Key, Body }));
  await put(OUTPUT, 'hls/a/index.m3u8', 'A-PLAYLIST');
  await put(OUTPUT, 'hls/b/index.m3u8', 'B-PLAYLIST');
  await put(OUTPUT, 'secret.txt', 'OUTPUT-ROOT');
  await put(UPLOADS, 'raw/source.mp4', 'RAW-UPLOAD');
  cdn = await LocalPlaybackCdn.start({
    s3,
    bucket: OUTPUT,
    publicKeys: new Map([['K1', publicKey]]),
    allowedOrigins: [],
  });
  const signed = getSignedCookies({
    policy: JSON.stringify({
      Statement: [
        {
          Resource: `${cdn.url}/hls/a/*`,
          Condition: { DateLessThan: { 'AWS:EpochTime': Math.floor(Date.now() / 1000) + 600 } },
        },
      ],
    }),
    keyPairId: 'K1',
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  });
  cookie = Object.entries(signed)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join('; ');
});

afterAll(async () => {
  await cdn.close();
  s3.destroy();
  await store.close();
});

/** GET with the path exactly as written on the request line. */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(cdn.url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, headers: { cookie } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the local playback distribution', () => {
  it('serves the signed video’s objects', async () => {
    expect(await rawGet('/hls/a/index.m3u8')).toEqual({ status: 200, body: 'A-PLAYLIST' });
  });

  it('answers a missing key under the signed path with 403, as S3 behind origin access control does', async () => {
    const res = await rawGet('/hls/a/missing.m3u8');
    expect([res.status, res.body]).toEqual([403, expect.stringContaining('<Code>AccessDenied</Code>')]);
  });

  const climbs = [
    // Encoded slashes: a literal key in S3, a climb on a file system.
    '/hls/a/..%2f..%2fsecret.txt',
    '/hls/a/..%2Fb%2Findex.m3u8',
    '/hls/a/..%2f..%2f..%2fcdn-uploads%2fraw%2fsource.mp4',
    // Encoded dots, any case: a URL parser removes them as dot segments, then the policy no longer covers it.
    '/hls/a/%2e%2e/b/index.m3u8',
    '/hls/a/%2E%2E/%2e%2E/secret.txt',
    '/hls/a/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/hls/a/%2E%2E%2Fb%2Findex.m3u8',
    // Plain dot segments and empty segments.
    '/hls/a/../b/index.m3u8',
    '/hls/a/./../../secret.txt',
    '/hls/a//../../secret.txt',
    // Backslashes, raw and encoded.
    '/hls/a/..\\..\\secret.txt',
    '/hls/a/..%5c..%5csecret.txt',
    '/hls/a/..%5C..%5Ccdn-uploads%5Craw%5Csource.mp4',
    // Double encoding reaches S3 as a literal `%2e%2e%2f`, which no object is named.
    '/hls/a/%252e%252e%252fsecret.txt',
    '/hls/a/..%252f..%252fsecret.txt',
    // Overlong UTF-8 and invalid percent sequences.
    '/hls/a/%c0%ae%c0%ae%c0%afsecret.txt',
    '/hls/a/%e0%80%ae%e0%80%ae/secret.txt',
    '/hls/a/%zz/secret.txt',
    // NUL and control characters.
    '/hls/a/%00/../../secret.txt',
    '/hls/a/index.m3u8%00.txt',
    '/hls/a/%0a..%2f..%2fsecret.txt',
  ];

  it.each(climbs)('refuses %s and never serves another object', async (path) => {
    const res = await rawGet(path);
    expect([400, 403]).toContain(res.status);
    expect(res.body).not.toMatch(/OUTPUT-ROOT|RAW-UPLOAD|B-PLAYLIST/);
  });
});
