import {
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { LocalObjectStore } from '#local/object-store';

/*
 * The local object store refuses what S3 refuses of a private bucket: unsigned requests, signatures that do
 * not match (an edited presigned URL, a wrong secret), unknown keys, expired URLs, skewed clocks, other
 * regions and the old signature version. Requests are signed by the AWS SDK itself, so the store's check is
 * held to the signer the platform's code uses.
 */

const UPLOADS = 'test-uploads';
const OUTPUT = 'test-output';
const LOCAL_KEY = { accessKeyId: 'local', secretAccessKey: 'local' };
let now = new Date();
let store: LocalObjectStore;
let s3: S3Client;

const clientWith = (credentials: { accessKeyId: string; secretAccessKey: string }, region = 'us-east-1') =>
  new S3Client({ endpoint: store.endpoint, region, forcePathStyle: true, credentials });

beforeAll(async () => {
  store = await LocalObjectStore.start({
    uploadBucket: UPLOADS,
    outputBucket: OUTPUT,
    accessKeys: [LOCAL_KEY],
    clock: () => now,
  });
  s3 = store.client();
  await s3.send(new PutObjectCommand({ Bucket: OUTPUT, Key: 'hls/a/index.m3u8', Body: '#EXTM3U\n' }));
  await s3.send(new PutObjectCommand({ Bucket: OUTPUT, Key: 'hls/b/index.m3u8', Body: '#EXTM3U\nB\n' }));
});

afterAll(async () => {
  s3.destroy();
  await store.close();
});

beforeEach(() => (now = new Date()));

/** The S3 error code of a refusal. */
const codeOf = async (res: Response) => /<Code>([^<]+)<\/Code>/.exec(await res.text())?.[1];

describe('the local object store', () => {
  it('serves requests signed by the store’s key and by the added keys', async () => {
    const own = await s3.send(new GetObjectCommand({ Bucket: OUTPUT, Key: 'hls/a/index.m3u8' }));
    expect(await own.Body!.transformToString()).toBe('#EXTM3U\n');
    const local = clientWith(LOCAL_KEY);
    const other = await local.send(new GetObjectCommand({ Bucket: OUTPUT, Key: 'hls/b/index.m3u8' }));
    expect(await other.Body!.transformToString()).toBe('#EXTM3U\nB\n');
    local.destroy();
  });

  it('refuses unsigned requests to every bucket, its objects and its multipart uploads', async () => {
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: UPLOADS, Key: 'raw/x.mp4' }),
    );
    for (const path of [
      `/${OUTPUT}/hls/a/index.m3u8`,
      `/${OUTPUT}`,
      `/${UPLOADS}?list-type=2`,
      `/${UPLOADS}/raw/x.mp4?uploadId=${UploadId}`,
      '/',
    ]) {
      const res = await fetch(`${store.endpoint}${path}`);
      expect([path, res.status, await codeOf(res)]).toEqual([path, 403, 'AccessDenied']);
    }
    const abort = await fetch(`${store.endpoint}/${UPLOADS}/raw/x.mp4?uploadId=${UploadId}`, {
      method: 'DELETE',
    });
    expect(abort.status).toBe(403);
    const parts = await s3.send(new ListPartsCommand({ Bucket: UPLOADS, Key: 'raw/x.mp4', UploadId }));
    expect(parts.UploadId).toBe(UploadId);
  });

  it('answers a CORS preflight without credentials, as S3 does', async () => {
    const res = await fetch(`${store.endpoint}/${UPLOADS}/raw/x.mp4`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'PUT' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeTruthy();
  });

  it('serves a presigned URL as signed, and refuses it edited to another key or part', async () => {
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: OUTPUT, Key: 'hls/a/index.m3u8' }), {
      expiresIn: 60,
    });
    expect((await fetch(url)).status).toBe(200);
    const edited = await fetch(url.replace('hls/a/', 'hls/b/'));
    expect([edited.status, await codeOf(edited)]).toEqual([403, 'SignatureDoesNotMatch']);

    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: UPLOADS, Key: 'raw/y.mp4' }),
    );
    const partUrl = await getSignedUrl(
      s3,
      new UploadPartCommand({ Bucket: UPLOADS, Key: 'raw/y.mp4', UploadId, PartNumber: 1 }),
      { expiresIn: 60 },
    );
    expect((await fetch(partUrl, { method: 'PUT', body: 'part one' })).status).toBe(200);
    for (const forged of [
      partUrl.replace('partNumber=1', 'partNumber=2'),
      partUrl.replace('raw/y.mp4', 'raw/z.mp4'),
      partUrl.replace(/X-Amz-Expires=\d+/, 'X-Amz-Expires=604800'),
    ]) {
      const res = await fetch(forged, { method: 'PUT', body: 'forged' });
      expect([res.status, await codeOf(res)]).toEqual([403, 'SignatureDoesNotMatch']);
    }
    const parts = await s3.send(new ListPartsCommand({ Bucket: UPLOADS, Key: 'raw/y.mp4', UploadId }));
    expect(parts.Parts?.map((p) => [p.PartNumber, p.Size])).toEqual([[1, 8]]);
  });

  it('refuses an expired presigned URL and a header signature from a skewed clock', async () => {
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: OUTPUT, Key: 'hls/a/index.m3u8' }), {
      expiresIn: 60,
    });
    now = new Date(Date.now() + 61_000);
    const expired = await fetch(url);
    expect([expired.status, await codeOf(expired)]).toEqual([403, 'AccessDenied']);
    now = new Date(Date.now() + 16 * 60_000);
    await expect(
      s3.send(new GetObjectCommand({ Bucket: OUTPUT, Key: 'hls/a/index.m3u8' })),
    ).rejects.toMatchObject({ name: 'RequestTimeTooSkewed' });
  });

  it('refuses a wrong secret, an unknown key, another region and signature version 2', async () => {
    const cases: [S3Client, string][] = [
      [clientWith({ accessKeyId: 'S3RVER', secretAccessKey: 'guessed' }), 'SignatureDoesNotMatch'],
      [clientWith({ accessKeyId: 'nobody', secretAccessKey: 'S3RVER' }), 'InvalidAccessKeyId'],
      [
        clientWith({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, 'ap-northeast-2'),
        'AuthorizationHeaderMalformed',
      ],
    ];
    for (const [client, name] of cases) {
      await expect(
        client.send(new GetObjectCommand({ Bucket: OUTPUT, Key: 'hls/a/index.m3u8' })),
      ).rejects.toMatchObject({ name });
      client.destroy();
    }
    const v2 = await fetch(
      `${store.endpoint}/${OUTPUT}/hls/a/index.m3u8?AWSAccessKeyId=S3RVER&Expires=${Math.floor(Date.now() / 1000) + 60}&Signature=abc`,
    );
    expect([v2.status, await codeOf(v2)]).toEqual([400, 'InvalidRequest']);
  });
});
