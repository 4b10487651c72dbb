import { createVerify, type KeyObject } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { parse as parseCookies } from 'cookie';
import * as z from 'zod';

/*
 * The playback distribution on one machine: what CloudFront does in front of the output bucket with a
 * trusted key group. Every request needs valid signed cookies (or signed URL parameters) for its URL, checked
 * as CloudFront checks them, before the object is read from the local store. So `npm start` refuses a
 * learner without cookies, or with another video's, exactly as the deployed platform does.
 */

/** CloudFront's URL-safe base64: `+=/` written as `-_~`. */
export const fromCloudFrontBase64 = (s: string): Buffer =>
  Buffer.from(s.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64');

const epoch = z.object({ 'AWS:EpochTime': z.number().int() });
const policySchema = z.object({
  Statement: z
    .array(
      z.object({
        Resource: z.string().min(1),
        Condition: z.object({
          DateLessThan: epoch,
          DateGreaterThan: epoch.optional(),
          IpAddress: z.object({ 'AWS:SourceIp': z.string() }).optional(),
        }),
      }),
    )
    .length(1),
});

/** A policy resource as CloudFront reads it: `*` is any run of characters, `?` exactly one. */
function resourcePattern(resource: string): RegExp {
  const escaped = resource.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * CloudFront's check of a request's signed cookies (or signed URL parameters, by the same names without the
 * `CloudFront-` prefix) against the key group's public keys, for the URL as the viewer requested it.
 */
export function verifySigned(
  credentials: Readonly<Record<string, string | undefined>>,
  url: string,
  publicKeys: ReadonlyMap<string, KeyObject>,
  now: Date,
): Verdict {
  const keyPairId = credentials['Key-Pair-Id'];
  const signature = credentials.Signature;
  const encodedPolicy = credentials.Policy;
  const expires = credentials.Expires;
  if (!keyPairId || !signature || (!encodedPolicy && !expires)) {
    return { ok: false, reason: 'Missing Key: no signed cookies or URL parameters' };
  }
  const publicKey = publicKeys.get(keyPairId);
  if (!publicKey) return { ok: false, reason: 'Unknown Key: the key pair id is not in the key group' };
  // A canned policy is not sent: it is rebuilt from the URL and the expiry, and the signature covers it.
  const policyText = encodedPolicy
    ? fromCloudFrontBase64(encodedPolicy).toString('utf8')
    : JSON.stringify({
        Statement: [{ Resource: url, Condition: { DateLessThan: { 'AWS:EpochTime': Number(expires) } } }],
      });
  const algorithm = credentials['Hash-Algorithm'] === 'SHA256' ? 'RSA-SHA256' : 'RSA-SHA1';
  const verifier = createVerify(algorithm).update(policyText);
  if (!verifier.verify(publicKey, fromCloudFrontBase64(signature))) {
    return { ok: false, reason: 'Access Denied: the signature does not match the policy' };
  }
  let json: unknown;
  try {
    json = JSON.parse(policyText);
  } catch {
    return { ok: false, reason: 'Malformed Policy: not JSON' };
  }
  const policy = policySchema.safeParse(json);
  if (!policy.success)
    return { ok: false, reason: 'Malformed Policy: not one statement with its conditions' };
  const [{ Resource, Condition }] = policy.data.Statement as [z.infer<typeof policySchema>['Statement'][0]];
  const seconds = now.getTime() / 1000;
  if (seconds >= Condition.DateLessThan['AWS:EpochTime']) {
    return { ok: false, reason: 'Access Denied: the policy has expired' };
  }
  if (Condition.DateGreaterThan && seconds < Condition.DateGreaterThan['AWS:EpochTime']) {
    return { ok: false, reason: 'Access Denied: the policy is not valid yet' };
  }
  // Locally every viewer is on loopback: a policy bound to an address range is one this platform never makes.
  if (Condition.IpAddress)
    return { ok: false, reason: 'Access Denied: IP-bound policies are not served locally' };
  if (!resourcePattern(Resource).test(url)) {
    return { ok: false, reason: 'Access Denied: the policy does not cover this URL' };
  }
  return { ok: true };
}

/** What a signed request carries: as `CloudFront-<name>` cookies, or as query parameters of a signed URL. */
const SIGNING_NAMES = ['Policy', 'Signature', 'Key-Pair-Id', 'Expires', 'Hash-Algorithm'] as const;

/** The signing credentials of a request: cookies first, then the query string's signed URL parameters. */
function credentialsOf(req: IncomingMessage, url: URL): Record<string, string | undefined> {
  const cookies = parseCookies(req.headers.cookie ?? '');
  const fromCookies = Object.fromEntries(SIGNING_NAMES.map((n) => [n, cookies[`CloudFront-${n}`]]));
  if (fromCookies.Signature) return fromCookies;
  return Object.fromEntries(SIGNING_NAMES.map((n) => [n, url.searchParams.get(n) ?? undefined]));
}

/** The URL CloudFront checks a policy against: without the signing parameters themselves. */
function unsignedUrl(origin: string, url: URL): string {
  const query = new URLSearchParams(url.search);
  for (const n of SIGNING_NAMES) query.delete(n);
  const rest = query.toString();
  return `${origin}${url.pathname}${rest ? `?${rest}` : ''}`;
}

type KeyVerdict =
  | { readonly ok: true; readonly key: string }
  | { readonly ok: false; readonly status: number; readonly reason: string };

/**
 * The S3 key a request path names. S3 keys are literal: `hls/a/..%2f..%2fx` is a key with dots in it, which
 * S3 looks up (and, as the pipeline writes no such key, refuses with 403). The local store keeps objects as
 * files, where the same dots would climb out of the bucket into other videos and the upload bucket; so a key
 * with a dot, dot-dot or empty segment, a backslash or a NUL is refused here with the answer S3 would give,
 * before the store sees it.
 */
export function objectKey(pathname: string): KeyVerdict {
  let key: string;
  try {
    key = decodeURIComponent(pathname.slice(1));
  } catch {
    return { ok: false, status: 400, reason: 'Invalid URI: the path is not valid percent-encoding' };
  }
  const segments = key.split('/');
  if (
    key === '' ||
    segments.some((s) => s === '' || s === '.' || s === '..') ||
    [...key].some((c) => c === '\\' || c <= '\u001f' || c === '\u007f')
  ) {
    return { ok: false, status: 403, reason: 'Access Denied: no such object' };
  }
  return { ok: true, key };
}

export interface LocalPlaybackCdnOptions {
  /** Reads the output bucket. */
  readonly s3: S3Client;
  readonly bucket: string;
  /** The key group: key pair id to public key. */
  readonly publicKeys: ReadonlyMap<string, KeyObject>;
  /** Origins allowed to fetch with credentials (the distribution's CORS). */
  readonly allowedOrigins: readonly string[];
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default the system clock */
  readonly clock?: () => Date;
  readonly log?: (line: string) => void;
}

export class LocalPlaybackCdn {
  private constructor(
    private readonly server: Server,
    /** `http://<host>:<port>`, the origin playback cookies are signed for. */
    readonly url: string,
  ) {}

  static async start(options: LocalPlaybackCdnOptions): Promise<LocalPlaybackCdn> {
    const host = options.host ?? '127.0.0.1';
    const clock = options.clock ?? (() => new Date());
    let origin = '';
    const server = createServer((req, res) => {
      void serve(req, res).catch((e: unknown) => {
        options.log?.(`playback: ${(e as Error).message}`);
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
    });

    async function serve(req: IncomingMessage, res: ServerResponse) {
      const requestOrigin = req.headers.origin;
      if (requestOrigin && options.allowedOrigins.includes(requestOrigin)) {
        res.setHeader('access-control-allow-origin', requestOrigin);
        res.setHeader('access-control-allow-credentials', 'true');
        res.setHeader('vary', 'origin');
      }
      // The distribution allows GET and HEAD only.
      if (req.method !== 'GET' && req.method !== 'HEAD') return deny(res, 403, 'Method not allowed');
      const url = new URL(req.url ?? '/', origin);
      const verdict = verifySigned(
        credentialsOf(req, url),
        unsignedUrl(origin, url),
        options.publicKeys,
        clock(),
      );
      if (!verdict.ok) return deny(res, 403, verdict.reason);
      const key = objectKey(url.pathname);
      if (!key.ok) return deny(res, key.status, key.reason);
      let object;
      try {
        object = await options.s3.send(new GetObjectCommand({ Bucket: options.bucket, Key: key.key }));
      } catch (e) {
        // The origin access control grants s3:GetObject only, so S3 answers a missing key with 403, not 404.
        if (e instanceof NoSuchKey) return deny(res, 403, 'Access Denied: no such object');
        throw e;
      }
      res.writeHead(200, {
        'content-type': object.ContentType ?? 'application/octet-stream',
        ...(object.ContentLength !== undefined ? { 'content-length': String(object.ContentLength) } : {}),
      });
      const body = object.Body as Readable | undefined;
      if (req.method === 'HEAD' || !body) {
        body?.destroy();
        return res.end();
      }
      body.pipe(res);
      await once(res, 'close');
    }

    server.listen(0, host);
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    origin = `http://${host}:${port}`;
    return new LocalPlaybackCdn(server, origin);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** CloudFront's refusals are short XML documents; the reason is what a developer needs to see. */
function deny(res: ServerResponse, status: number, reason: string) {
  res.writeHead(status, { 'content-type': 'text/xml' });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${status === 400 ? 'InvalidURI' : 'AccessDenied'}</Code><Message>${reason}</Message></Error>`,
  );
}
