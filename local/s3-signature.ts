import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/*
 * AWS's check of a request's Signature Version 4, for the local stand-ins (the object store as S3, the local
 * IVS as `ivs` and `ivschat`). s3rver accepts any V4
 * signature whose access key id it knows (its V4 calculation is unimplemented) and serves unsigned requests
 * to anyone, so a presigned URL for one part could be edited to write another key and any program on the
 * machine could read the buckets. S3 refuses both; so does this check, which recomputes the signature as
 * AWS's documentation describes it and is tested against the AWS SDK's own signer and presigner.
 */

/** The secret access key of an access key id the store knows, or undefined. */
export type SecretLookup = (accessKeyId: string) => string | undefined;

/** What the check needs of an HTTP request: the raw target as sent, and its headers as Node reads them. */
export interface SignedRequest {
  readonly method: string;
  /** Path and query exactly as on the request line. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export type SignatureVerdict =
  { readonly ok: true } | { readonly ok: false; readonly code: string; readonly message: string };

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** S3 refuses a header-signed request whose date is further than this from its clock. */
const MAX_SKEW_MS = 15 * 60_000;
/** The longest a presigned URL may be valid: seven days. */
const MAX_EXPIRES_SECONDS = 604_800;

const refuse = (code: string, message: string): SignatureVerdict => ({ ok: false, code, message });

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters. */
const uriEncode = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const sha256Hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** `20261201T142700Z` as a Date, or undefined. */
function amzDate(s: string | undefined): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s ?? '');
  if (!m) return undefined;
  const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** The query's parameters, decoded; undefined when a percent sequence is malformed. */
function queryParams(query: string): [string, string][] | undefined {
  try {
    return query
      .split('&')
      .filter((p) => p !== '')
      .map((p) => {
        const i = p.indexOf('=');
        const [k, v] = i < 0 ? [p, ''] : [p.slice(0, i), p.slice(i + 1)];
        return [decodeURIComponent(k), decodeURIComponent(v)];
      });
  } catch {
    return undefined;
  }
}

/** The path without empty, `.` and `..` segments, as the SDK's signer normalizes it for services but S3. */
function normalizePath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && path.endsWith('/') ? '/' : '';
  return `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${trailing}`;
}

function headerValue(headers: SignedRequest['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * Verifies a request signed with SigV4 in its Authorization header or as a presigned URL, by a key the store
 * knows, for its region, at `now`. Requests signed otherwise (none, or the older version 2, which Seoul never
 * accepted) are refused.
 */
export function verifyS3Signature(
  req: SignedRequest,
  secretFor: SecretLookup,
  region: string,
  now: Date,
): SignatureVerdict {
  return verifySignatureV4(req, secretFor, region, now, { service: 's3' });
}

export interface SignatureScope {
  /** The service the credential scope must name (`s3`, `ivs`, `ivschat`). */
  readonly service: string;
  /**
   * The request's body as received. Every service but S3 signs the body's hash without sending it in a
   * header, so the check needs the body itself; S3's signers send `x-amz-content-sha256` instead.
   */
  readonly body?: Buffer;
}

/**
 * The same check for any service. S3 and the others differ in two places, as the SDK's signer does: S3 encodes
 * the path once and takes the payload hash from `x-amz-content-sha256`; the others encode the path as sent
 * once more and hash the body.
 */
export function verifySignatureV4(
  req: SignedRequest,
  secretFor: SecretLookup,
  region: string,
  now: Date,
  { service: expectedService, body }: SignatureScope,
): SignatureVerdict {
  const s3 = expectedService === 's3';
  const q = req.url.indexOf('?');
  const rawPath = q < 0 ? req.url : req.url.slice(0, q);
  const params = queryParams(q < 0 ? '' : req.url.slice(q + 1));
  if (!params) return refuse('InvalidArgument', 'The query string is not valid percent-encoding');
  const query = new Map(params);
  const authorization = headerValue(req.headers, 'authorization');
  const presigned = query.has('X-Amz-Algorithm');

  let fields: {
    algorithm: string;
    credential: string;
    signedHeaders: string;
    signature: string;
    date: string;
  };
  if (authorization !== undefined && !presigned) {
    const m = /^(\S+) Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)$/.exec(
      authorization.trim(),
    );
    if (!m) return refuse('AuthorizationHeaderMalformed', 'The authorization header is malformed');
    fields = {
      algorithm: m[1]!,
      credential: m[2]!,
      signedHeaders: m[3]!,
      signature: m[4]!,
      date: headerValue(req.headers, 'x-amz-date') ?? '',
    };
  } else if (presigned && authorization === undefined) {
    fields = {
      algorithm: query.get('X-Amz-Algorithm')!,
      credential: query.get('X-Amz-Credential') ?? '',
      signedHeaders: query.get('X-Amz-SignedHeaders') ?? '',
      signature: query.get('X-Amz-Signature') ?? '',
      date: query.get('X-Amz-Date') ?? '',
    };
  } else if (presigned) {
    return refuse('InvalidArgument', 'Only one auth mechanism allowed');
  } else if (query.has('Signature') || query.has('AWSAccessKeyId')) {
    return refuse('InvalidRequest', 'The authorization mechanism you have provided is not supported');
  } else {
    return refuse('AccessDenied', 'Access Denied: the request is not signed');
  }

  if (fields.algorithm !== ALGORITHM)
    return refuse('InvalidArgument', `Unsupported signing algorithm ${fields.algorithm}`);
  const signedAt = amzDate(fields.date);
  if (!signedAt) return refuse('AccessDenied', 'X-Amz-Date is missing or malformed');
  const [accessKeyId, scopeDate, scopeRegion, service, terminator, ...extra] = fields.credential.split('/');
  if (
    extra.length ||
    terminator !== 'aws4_request' ||
    service !== expectedService ||
    scopeDate !== fields.date.slice(0, 8)
  )
    return refuse('AuthorizationHeaderMalformed', 'The credential scope is malformed');
  const secret = secretFor(accessKeyId ?? '');
  if (secret === undefined)
    return refuse('InvalidAccessKeyId', 'The AWS access key id you provided does not exist in our records');
  if (scopeRegion !== region)
    return refuse(
      'AuthorizationHeaderMalformed',
      `The region '${scopeRegion}' is wrong; expecting '${region}'`,
    );

  if (presigned) {
    const expires = Number(query.get('X-Amz-Expires'));
    if (!Number.isInteger(expires) || expires < 1 || expires > MAX_EXPIRES_SECONDS)
      return refuse('AuthorizationQueryParametersError', 'X-Amz-Expires must be 1 to 604800 seconds');
    if (now.getTime() > signedAt.getTime() + expires * 1000)
      return refuse('AccessDenied', 'Request has expired');
  } else if (Math.abs(now.getTime() - signedAt.getTime()) > MAX_SKEW_MS) {
    return refuse(
      'RequestTimeTooSkewed',
      'The difference between the request time and the server time is too large',
    );
  }

  const signedHeaders = fields.signedHeaders.split(';');
  if (!signedHeaders.includes('host')) return refuse('AccessDenied', 'The host header must be signed');
  const canonicalHeaders: string[] = [];
  for (const name of signedHeaders) {
    const value = headerValue(req.headers, name);
    if (value === undefined) return refuse('AccessDenied', `The signed header ${name} is missing`);
    canonicalHeaders.push(`${name}:${value.trim().replace(/\s+/g, ' ')}\n`);
  }

  let canonicalPath: string;
  try {
    canonicalPath = s3
      ? rawPath
          .split('/')
          .map((segment) => uriEncode(decodeURIComponent(segment)))
          .join('/')
      : uriEncode(normalizePath(rawPath)).replace(/%2F/g, '/');
  } catch {
    return refuse('InvalidURI', "Couldn't parse the specified URI");
  }
  const canonicalQuery = params
    .filter(([k]) => !(presigned && k === 'X-Amz-Signature'))
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const sentHash = headerValue(req.headers, 'x-amz-content-sha256');
  const bodyHash = body && createHash('sha256').update(body).digest('hex');
  const payloadHash = !s3
    ? bodyHash
    : presigned
      ? (query.get('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD')
      : sentHash;
  if (payloadHash === undefined)
    return refuse('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  // A header that names another body than the one received is a body changed on the way.
  if (!s3 && sentHash !== undefined && sentHash !== 'UNSIGNED-PAYLOAD' && sentHash !== bodyHash)
    return refuse('SignatureDoesNotMatch', 'The x-amz-content-sha256 header does not match the body');

  const canonicalRequest = [
    req.method,
    canonicalPath,
    canonicalQuery,
    canonicalHeaders.join(''),
    fields.signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${scopeDate}/${scopeRegion}/${expectedService}/aws4_request`;
  const stringToSign = [ALGORITHM, fields.date, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(
    hmac(hmac(hmac(`AWS4${secret}`, scopeDate), scopeRegion), expectedService),
    'aws4_request',
  );
  const expected = hmac(key, stringToSign);
  const provided = Buffer.from(fields.signature, 'hex');
  if (provided.length !== expected.length || !timingSafeEqual(provided, expected)) {
    return refuse(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided',
    );
  }
  return { ok: true };
}
