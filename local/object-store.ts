import type { EventEmitter } from 'node:events';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

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
  /** Where the objects live; kept on close. @default a new temporary directory, removed on close */
  readonly dir?: string;
  /** Called for every object created in the upload bucket, as EventBridge would deliver it. */
  readonly onObjectCreated?: (event: ObjectCreatedEvent) => void;
}

/** The dummy account s3rver checks signatures against: presigned URLs must be signed with it. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

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
      ],
    });
    // Before s3rver's router, which is the last middleware it installs.
    const { middleware } = server as unknown as { middleware: unknown[] };
    middleware.splice(middleware.length - 1, 0, multipartGaps());
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
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: CREDENTIALS,
    });
  }

  /** The URL a browser reads an output object at (s3rver answers anonymous GETs). */
  outputUrl(key: string): string {
    return `${this.endpoint}/${this.outputBucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  }

  async close(): Promise<void> {
    await this.server.close();
    if (this.ownDir) await rm(this.ownDir, { recursive: true, force: true });
  }
}
