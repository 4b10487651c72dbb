import type { EventEmitter } from 'node:events';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { type SecretLookup, verifyS3Signature } from './s3-signature';

/** s3rver's account registry, which its types leave out. */
const s3rverAccount = createRequire(__filename)('s3rver/lib/models/account') as {
  DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void };
};

/** S3's EventBridge `Object Created` event, with the fields start-transcode and the local transcoder read. */
export interface ObjectCreatedEvent {
  readonly source: 'aws.s3';
  readonly 'detail-type': 'Object Created';
  readonly time: string;
  readonly detail: {
    readonly bucket: { readonly name: string };
    /** The key form-encoded as S3 writes it into events (a space as `+`). */
    readonly object: { readonly key: string; readonly etag: string; readonly size: number };
  };
}

export interface LocalObjectStoreOptions {
  readonly uploadBucket: string;
  readonly outputBucket: string;
  /** Further buckets, private to the platform's code (no CORS), e.g. the live lectures' recordings. @default none */
  readonly privateBuckets?: readonly string[];
  /** Where the objects live; kept on close. @default a new temporary directory, removed on close */
  readonly dir?: string;
  /** Called for every object created in the upload bucket, as EventBridge would deliver it. */
  readonly onObjectCreated?: (event: ObjectCreatedEvent) => void;
  /** Access keys that may sign requests besides the store's own (`S3RVER`). @default none */
  readonly accessKeys?: readonly AccessKey[];
  /** The clock signatures are checked against. @default the system clock */
  readonly clock?: () => Date;
}

export interface AccessKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The one account of the store: every request, and every presigned URL, must be signed with it. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
const REGION = 'us-east-1';

// Browsers upload parts with PUT to presigned URLs and need each part's ETag to complete the upload; the
// output bucket is read by the player.
const corsFor = (methods: readonly string[], expose: readonly string[]) =>
  `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>${methods
    .map((m) => `<AllowedMethod>${m}</AllowedMethod>`)
    .join('')}<AllowedHeader>*</AllowedHeader>${expose
    .map((h) => `<ExposeHeader>${h}</ExposeHeader>`)
    .join('')}<MaxAgeSeconds>3600</MaxAgeSeconds></CORSRule></CORSConfiguration>`;

/** What S3 writes into an event's key: form-encoded, slashes kept. */
const formEncode = (key: string) => encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');

interface S3rverRecord {
  readonly eventTime: string;
  readonly eventName: string;
  readonly s3: {
    readonly bucket: { readonly name: string };
    readonly object: { readonly key: string; readonly eTag?: string; readonly size?: number };
  };
}

interface KoaContext {
  readonly method: string;
  readonly req: { readonly url?: string; readonly headers: Record<string, string | string[] | undefined> };
  set(name: string, value: string): void;
  status: number;
  body: unknown;
}

/** S3 answers these refusals with 400; the others (access, signature, key, clock) with 403. */
const BAD_REQUEST = new Set([
  'AuthorizationHeaderMalformed',
  'AuthorizationQueryParametersError',
  'InvalidArgument',
  'InvalidRequest',
  'InvalidURI',
]);

/**
 * Every request but a CORS preflight must carry a valid SigV4 signature of the store's account, as S3 asks of
 * a private bucket: no anonymous reads by whatever else runs on the machine, and no presigned URL edited to
 * reach another key.
 */
function requireSignature(secretFor: SecretLookup, clock: () => Date) {
  return async (ctx: KoaContext, next: () => Promise<void>): Promise<void> => {
    if (ctx.method === 'OPTIONS') return next();
    const verdict = verifyS3Signature(
      { method: ctx.method, url: ctx.req.url ?? '/', headers: ctx.req.headers },
      secretFor,
      REGION,
      clock(),
    );
    if (verdict.ok) return next();
    // The buckets' CORS rules allow every origin; a browser should see the refusal, not a CORS failure.
    if (ctx.req.headers.origin) ctx.set('access-control-allow-origin', '*');
    ctx.status = BAD_REQUEST.has(verdict.code) ? 400 : 403;
    ctx.body = { Error: { Code: verdict.code, Message: verdict.message } };
  };
}

interface MultipartContext {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string | string[] | undefined>;
  readonly store: { getResourcePath(bucket: string, key: undefined, resource: string): string };
  status: number;
  body: unknown;
}

const noSuchUpload = (ctx: MultipartContext) => {
  ctx.status = 404;
  ctx.body = { Error: { Code: 'NoSuchUpload', Message: 'The specified upload does not exist.' } };
};

/**
 * s3rver 3.7 keeps a multipart upload's parts in `<bucket>/uploads/<uploadId>/<n>` (with `<n>.md5`) but
 * answers neither ListParts nor AbortMultipartUpload, and takes a part for an upload that no longer exists;
 * S3 does all three, and the upload sessions resume and clean up through them.
 */
function multipartGaps() {
  return async (ctx: MultipartContext, next: () => Promise<void>): Promise<void> => {
    const uploadId = ctx.query.uploadId;
    const [, bucket, ...keyParts] = ctx.path.split('/').map(decodeURIComponent);
    if (typeof uploadId !== 'string' || !bucket || keyParts.length === 0) return next();
    const dir = join(ctx.store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
    const key = await readFile(join(dir, 'key'), 'utf8').catch(() => undefined);
    if (key !== keyParts.join('/')) return noSuchUpload(ctx);
    if (ctx.method === 'DELETE') {
      await rm(dir, { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    if (ctx.method !== 'GET') return next();
    const marker = Number(ctx.query['part-number-marker'] ?? 0);
    const maxParts = Math.min(1000, Number(ctx.query['max-parts'] ?? 1000));
    const numbers = (await readdir(dir))
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .filter((n) => n > marker)
      .sort((a, b) => a - b);
    const page = numbers.slice(0, maxParts);
    const parts = await Promise.all(
      page.map(async (n) => {
        const [info, md5] = await Promise.all([
          stat(join(dir, String(n))),
          readFile(join(dir, `${n}.md5`), 'utf8'),
        ]);
        return { PartNumber: n, LastModified: info.mtime.toISOString(), ETag: `"${md5}"`, Size: info.size };
      }),
    );
    ctx.body = {
      ListPartsResult: {
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        PartNumberMarker: marker,
        NextPartNumberMarker: page.at(-1) ?? marker,
        MaxParts: maxParts,
        IsTruncated: numbers.length > page.length,
        ...(parts.length ? { Part: parts } : {}),
      },
    };
  };
}

/**
 * The upload and output buckets on one machine: s3rver on a free loopback port, spoken to with the real
 * S3 client (path-style), and S3's event notifications for the upload bucket turned into the EventBridge
 * shape the pipeline's rule delivers in AWS.
 */
export class LocalObjectStore {
  private constructor(
    private readonly server: S3rver,
    /** `http://127.0.0.1:<port>`: the S3 endpoint, path-style. */
    readonly endpoint: string,
    readonly uploadBucket: string,
    readonly outputBucket: string,
    private readonly ownDir: string | undefined,
  ) {}

  static async start(options: LocalObjectStoreOptions): Promise<LocalObjectStore> {
    const ownDir = options.dir ? undefined : await mkdtemp(join(tmpdir(), 'lms-objects-'));
    const server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: options.dir ?? ownDir!,
      // Requests name the bucket in the path, as the clients here are configured.
      vhostBuckets: false,
      configureBuckets: [
        { name: options.uploadBucket, configs: [corsFor(['GET', 'HEAD', 'PUT', 'POST'], ['ETag'])] },
        { name: options.outputBucket, configs: [corsFor(['GET', 'HEAD'], [])] },
        ...(options.privateBuckets ?? []).map((name) => ({ name, configs: [] })),
      ],
    });
    const keys = [CREDENTIALS, ...(options.accessKeys ?? [])];
    // s3rver checks a signature's key id too (and nothing more of a V4 signature): it must know them all.
    for (const key of options.accessKeys ?? [])
      s3rverAccount.DUMMY_ACCOUNT.createKeyPair(key.accessKeyId, key.secretAccessKey);
    const secretFor: SecretLookup = (id) => keys.find((k) => k.accessKeyId === id)?.secretAccessKey;
    // Before s3rver's router, which is the last middleware it installs.
    const { middleware } = server as unknown as { middleware: unknown[] };
    middleware.splice(
      middleware.length - 1,
      0,
      requireSignature(secretFor, options.clock ?? (() => new Date())),
      multipartGaps(),
    );
    // s3rver's types leave out that it is an EventEmitter (a Koa application).
    (server as unknown as EventEmitter).on('event', (notification: { Records: S3rverRecord[] }) => {
      for (const record of notification.Records) {
        const { bucket, object } = record.s3;
        if (bucket.name !== options.uploadBucket || !record.eventName.startsWith('ObjectCreated:')) continue;
        // A copy carries no ETag in s3rver's notification; nothing copies into the upload bucket.
        if (!object.eTag) continue;
        options.onObjectCreated?.({
          source: 'aws.s3',
          'detail-type': 'Object Created',
          time: record.eventTime,
          detail: {
            bucket: { name: bucket.name },
            object: { key: formEncode(object.key), etag: object.eTag, size: object.size ?? 0 },
          },
        });
      }
    });
    const { port } = (await server.run()) as AddressInfo;
    return new LocalObjectStore(
      server,
      `http://127.0.0.1:${port}`,
      options.uploadBucket,
      options.outputBucket,
      ownDir,
    );
  }

  /** A client for this store; presigned URLs made with it are accepted by the store. */
  client(): S3Client {
    return new S3Client({
      endpoint: this.endpoint,
      region: REGION,
      forcePathStyle: true,
      credentials: CREDENTIALS,
    });
  }

  async close(): Promise<void> {
    await this.server.close();
    if (this.ownDir) await rm(this.ownDir, { recursive: true, force: true });
  }
}
