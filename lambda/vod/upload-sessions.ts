import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import * as z from 'zod';
import { completeUploadBody, startUploadBody, uploadIdParam } from '#contracts/vod-requests';
import { canManageContent, managedContent } from '../access/access';
import { VOD } from '#contracts/resources';
import type { Identity } from '#contracts/access-token';
import { HttpError, parseInput } from '#contracts/problem';
import { budgetUsedUp, monthlyUsage } from './transcode-budget';

/*
 * Multipart upload sessions for a content's file: the browser PUTs parts straight to the upload bucket
 * through presigned URLs, so no Lambda carries the bytes. What the browser cannot be trusted with (which key,
 * how big, who started it) is fixed when the session starts and kept in a record beside the access
 * projection (TABLES.access, `upload#<uploadId>`/`meta`); every later call checks against it.
 */

export interface UploadDeps {
  readonly s3: S3Client;
  readonly ddb: DynamoDBDocumentClient;
  readonly accessTable: string;
  readonly uploadBucket: string;
  /** The largest file accepted, in bytes; above 5 TiB S3 itself refuses. */
  readonly maxBytes: number;
  /** Minutes of video each institution may have transcoded per calendar month (UTC). */
  readonly monthlyTranscodeMinutes: number;
  readonly now: () => Date;
  /**
   * How long a session's record is honoured; keep it equal to the bucket's abort-incomplete-upload rule,
   * after which S3 has dropped the parts anyway.
   * @default 7
   */
  readonly sessionDays?: number;
}

export type Caller = Pick<Identity, 'sub'>;

const MiB = 1024 * 1024;
/** S3's multipart limits. */
const S3_LIMITS = {
  maxParts: 10_000,
  minPartBytes: 5 * MiB,
  maxPartBytes: 5 * 1024 * MiB,
  maxObjectBytes: 5 * 1024 * 1024 * MiB,
};
/** Parts a browser asks for in one call: enough for 800 MiB at 8 MiB, small enough for one response. */
const MAX_URLS_PER_CALL = 100;
/** Part URLs expire soon: a leaked one writes into a session that is checked on completion anyway. */
const PART_URL_SECONDS = 15 * 60;
const DEFAULT_SESSION_DAYS = 7;

/** What each kind of content accepts; exams have questions, not files. */
export const ALLOWED_CONTENT_TYPES = {
  video: [
    'video/mp4',
    'video/quicktime',
    'video/webm',
    'video/x-matroska',
    'video/mpeg',
    'video/x-msvideo',
    'video/x-m4v',
  ],
  material: [
    'application/pdf',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    'application/msword',
    'application/vnd.ms-excel',
    'application/vnd.ms-powerpoint',
    'application/x-hwp',
    'application/vnd.hancom.hwp',
    'application/vnd.hancom.hwpx',
  ],
} as const satisfies Record<keyof typeof VOD.uploadPrefixes, readonly string[]>;

export { completeUploadBody, startUploadBody };
export type StartUploadBody = z.infer<typeof startUploadBody>;

const partNumber = z.number().int().min(1).max(S3_LIMITS.maxParts);

/** Part numbers to presign, both ends included; routes parse them from the query string with z.coerce. */
export const partUrlsQuery = z
  .strictObject({ from: partNumber, to: partNumber })
  .refine((r) => r.to >= r.from, { path: ['to'], message: 'must not be below from' })
  .refine((r) => r.to - r.from < MAX_URLS_PER_CALL, {
    path: ['to'],
    message: `at most ${MAX_URLS_PER_CALL} parts per call`,
  });
export type PartUrlsQuery = z.infer<typeof partUrlsQuery>;

export type CompleteUploadBody = z.infer<typeof completeUploadBody>;

export interface StartedUpload {
  readonly uploadId: string;
  readonly key: string;
  readonly partSize: number;
  readonly partCount: number;
}

export interface PartUrl {
  readonly partNumber: number;
  readonly url: string;
}

export interface UploadedPart {
  readonly partNumber: number;
  readonly etag: string;
  readonly size: number;
}

interface UploadRecord {
  readonly key: string;
  readonly contentId: string;
  readonly institutionId: string;
  readonly size: number;
  readonly partSize: number;
  readonly partCount: number;
  readonly contentType: string;
  readonly startedBy: string;
  readonly startedAt: string;
  /** Epoch seconds, so the attribute can serve as the table's TTL. */
  readonly expiresAt: number;
}

const uploadKey = (uploadId: string) => ({ pk: `upload#${uploadId}`, sk: 'meta' });

/**
 * The smallest whole number of MiB that keeps the file within 10,000 parts, but at least 8 MiB: S3 needs
 * 5 MiB for every part but the last, and fewer, larger parts mean fewer URL round trips while a lost part
 * still costs little to resend. At the 5 TiB object limit this is 525 MiB, far below S3's 5 GiB per part.
 */
export function partSizeFor(size: number): number {
  const fitting = Math.ceil(Math.ceil(size / S3_LIMITS.maxParts) / MiB) * MiB;
  return Math.min(S3_LIMITS.maxPartBytes, Math.max(8 * MiB, S3_LIMITS.minPartBytes, fitting));
}

/**
 * One key segment from a user's file name: ASCII letters, digits and `.-_` only, since MediaConvert refuses
 * some characters and keys travel form-encoded through S3's events. The extension survives so players and
 * downloads still recognise the file; a name with nothing ASCII left becomes `file`.
 */
export function safeFileName(fileName: string): string {
  const ascii = fileName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-');
  const dot = ascii.lastIndexOf('.');
  const hasExtension = dot > 0 && /^[A-Za-z0-9]{1,10}$/.test(ascii.slice(dot + 1));
  const extension = hasExtension ? ascii.slice(dot).toLowerCase() : '';
  const stem = (hasExtension ? ascii.slice(0, dot) : ascii)
    .replace(/[-.]{2,}/g, '-')
    // A leading dot would hide the file in listings; trailing ones read as a second extension.
    .replace(/^[-._]+|[-._]+$/g, '')
    .slice(0, 100);
  return `${stem || 'file'}${extension}`;
}

/** `Video/MP4; codecs=avc1` and `video/mp4` are the same type to every player. */
const mediaType = (contentType: string) => contentType.split(';')[0]!.trim().toLowerCase();

/** S3 quotes ETags in XML and headers; browsers hand them back with or without. */
const bareEtag = (etag: string) => etag.replace(/"/g, '');

const notFound = () => new HttpError(404, 'Upload not found');

/** Starts a multipart upload for one file of a content the caller manages. */
export async function startUpload(
  deps: UploadDeps,
  caller: Caller,
  input: StartUploadBody,
): Promise<StartedUpload> {
  const { contentId, fileName, size, contentType } = parseInput(startUploadBody, 'body', input);
  // Someone who may not manage the content learns nothing about whether it exists.
  const content = await managedContent(deps.ddb, deps.accessTable, caller.sub, contentId);
  if (!content) throw new HttpError(404, 'Content not found');
  const { kind, institutionId } = content;
  if (kind !== 'video' && kind !== 'material') {
    throw new HttpError(409, `A ${kind} content takes no file upload`);
  }
  // A live lecture's recording is the platform's copy of what was streamed: an upload would replace it.
  if (content.provisionId !== undefined) {
    throw new HttpError(409, 'A live lecture’s recording takes no file upload', [
      { field: 'body.contentId', message: 'is the recording of a live lecture' },
    ]);
  }
  const type = mediaType(contentType);
  const allowed: readonly string[] = ALLOWED_CONTENT_TYPES[kind];
  if (!allowed.includes(type)) {
    throw new HttpError(400, `A ${kind} content does not accept ${type}`, [
      { field: 'body.contentType', message: `must be one of ${allowed.join(', ')}` },
    ]);
  }
  const maxBytes = Math.min(deps.maxBytes, S3_LIMITS.maxObjectBytes);
  if (size > maxBytes) {
    throw new HttpError(400, `The file is larger than ${maxBytes} bytes`, [
      { field: 'body.size', message: `must be at most ${maxBytes}` },
    ]);
  }

  if (kind === 'video') {
    // Checked before the upload, which could take hours only to be refused at transcoding. Whether this
    // video still fits is known only from its duration, which start-transcode probes.
    const usage = await monthlyUsage(
      deps.ddb,
      deps.accessTable,
      institutionId,
      deps.monthlyTranscodeMinutes,
      deps.now(),
    );
    // 409, not 429: nothing a client retries soon will pass, and the detail says when it will.
    if (usage.used >= usage.budget) throw new HttpError(409, budgetUsedUp(usage));
  }

  const key = `${VOD.uploadPrefixes[kind]}${institutionId}/${contentId}/${safeFileName(fileName)}`;
  const partSize = partSizeFor(size);
  const partCount = Math.ceil(size / partSize);
  const { UploadId: uploadId } = await deps.s3.send(
    new CreateMultipartUploadCommand({ Bucket: deps.uploadBucket, Key: key, ContentType: type }),
  );
  if (!uploadId) throw new Error('CreateMultipartUpload returned no upload id');

  const now = deps.now();
  const record: UploadRecord = {
    key,
    contentId,
    institutionId,
    size,
    partSize,
    partCount,
    contentType: type,
    startedBy: caller.sub,
    startedAt: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + (deps.sessionDays ?? DEFAULT_SESSION_DAYS) * 86_400,
  };
  try {
    await deps.ddb.send(
      new PutCommand({
        TableName: deps.accessTable,
        Item: { ...uploadKey(uploadId), ...record },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (e) {
    // An upload nobody can find a record for could never be completed or aborted through this API.
    await abortQuietly(deps, key, uploadId);
    throw e;
  }
  return { uploadId, key, partSize, partCount };
}

/**
 * The session of `uploadId` if the caller may act on it. Managing the content is checked on every call, so
 * a manager removed mid-upload cannot finish it; `allowStarter` lets whoever started it still give it up.
 */
async function sessionFor(
  deps: UploadDeps,
  caller: Caller,
  uploadId: string,
  { allowStarter = false } = {},
): Promise<UploadRecord> {
  const id = parseInput(uploadIdParam, 'path.uploadId', uploadId);
  const { Item } = await deps.ddb.send(new GetCommand({ TableName: deps.accessTable, Key: uploadKey(id) }));
  const record = Item as UploadRecord | undefined;
  // DynamoDB's TTL deletes late; an expired session is gone as far as callers can tell.
  if (!record || record.expiresAt * 1000 <= deps.now().getTime()) throw notFound();
  if (allowStarter && record.startedBy === caller.sub) return record;
  if (!(await canManageContent(deps.ddb, deps.accessTable, caller.sub, record.contentId))) throw notFound();
  return record;
}

/** Presigned `UploadPart` URLs for the part numbers in [from, to]. */
export async function partUrls(
  deps: UploadDeps,
  caller: Caller,
  uploadId: string,
  range: PartUrlsQuery,
): Promise<PartUrl[]> {
  const { from, to } = parseInput(partUrlsQuery, 'query', range);
  const session = await sessionFor(deps, caller, uploadId);
  if (to > session.partCount) {
    throw new HttpError(400, `The upload has ${session.partCount} parts`, [
      { field: 'query.to', message: `must be at most ${session.partCount}` },
    ]);
  }
  const numbers = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  return Promise.all(
    numbers.map(async (n) => ({
      partNumber: n,
      url: await getSignedUrl(
        deps.s3,
        new UploadPartCommand({
          Bucket: deps.uploadBucket,
          Key: session.key,
          UploadId: uploadId,
          PartNumber: n,
        }),
        { expiresIn: PART_URL_SECONDS },
      ),
    })),
  );
}

const isNoSuchUpload = (e: unknown) => e instanceof Error && e.name === 'NoSuchUpload';

async function listParts(deps: UploadDeps, key: string, uploadId: string): Promise<UploadedPart[]> {
  const parts: UploadedPart[] = [];
  let marker: string | undefined;
  do {
    const page = await deps.s3.send(
      new ListPartsCommand({
        Bucket: deps.uploadBucket,
        Key: key,
        UploadId: uploadId,
        PartNumberMarker: marker,
      }),
    );
    for (const p of page.Parts ?? []) {
      parts.push({ partNumber: p.PartNumber!, etag: bareEtag(p.ETag!), size: p.Size! });
    }
    marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
  } while (marker);
  return parts.sort((a, b) => a.partNumber - b.partNumber);
}

/** Drops a session S3 no longer knows (aborted by the lifecycle rule), so it reads as not found. */
async function forget(deps: UploadDeps, uploadId: string): Promise<void> {
  await deps.ddb.send(new DeleteCommand({ TableName: deps.accessTable, Key: uploadKey(uploadId) }));
}

async function abortQuietly(deps: UploadDeps, key: string, uploadId: string): Promise<void> {
  try {
    await deps.s3.send(
      new AbortMultipartUploadCommand({ Bucket: deps.uploadBucket, Key: key, UploadId: uploadId }),
    );
  } catch (e) {
    if (!isNoSuchUpload(e)) throw e;
  }
}

/** The parts S3 holds, so a client resumes an interrupted upload by sending only the missing ones. */
export async function listUploadedParts(
  deps: UploadDeps,
  caller: Caller,
  uploadId: string,
): Promise<UploadedPart[]> {
  const session = await sessionFor(deps, caller, uploadId);
  try {
    return await listParts(deps, session.key, uploadId);
  } catch (e) {
    if (!isNoSuchUpload(e)) throw e;
    await forget(deps, uploadId);
    throw notFound();
  }
}

/** Gives up the upload after a refused completion: nothing half-made stays in the bucket or the table. */
async function refuse(
  deps: UploadDeps,
  session: UploadRecord,
  uploadId: string,
  message: string,
): Promise<never> {
  await abortQuietly(deps, session.key, uploadId);
  await forget(deps, uploadId);
  throw new HttpError(400, `${message}; the upload was aborted`, [{ field: 'body.parts', message }]);
}

/**
 * Assembles the object once the client's parts are exactly what S3 holds and add up to the declared size.
 * A refusal aborts the upload: the client starts over rather than completing something nobody declared.
 */
export async function completeUpload(
  deps: UploadDeps,
  caller: Caller,
  uploadId: string,
  parts: CompleteUploadBody['parts'],
): Promise<{ key: string; size: number }> {
  const given = parseInput(completeUploadBody, 'body', { parts }).parts;
  const session = await sessionFor(deps, caller, uploadId);
  let held: UploadedPart[];
  try {
    held = await listParts(deps, session.key, uploadId);
  } catch (e) {
    if (!isNoSuchUpload(e)) throw e;
    await forget(deps, uploadId);
    throw notFound();
  }

  if (given.some((p, i) => p.partNumber !== i + 1)) {
    return refuse(deps, session, uploadId, 'part numbers must run 1, 2, 3, … without gaps');
  }
  const matches =
    held.length === given.length &&
    held.every((h, i) => h.partNumber === given[i]!.partNumber && h.etag === bareEtag(given[i]!.etag));
  if (!matches) return refuse(deps, session, uploadId, 'the parts do not match the uploaded parts');
  const size = held.reduce((sum, p) => sum + p.size, 0);
  if (size !== session.size || size > deps.maxBytes) {
    return refuse(deps, session, uploadId, `the parts hold ${size} bytes, ${session.size} were declared`);
  }

  try {
    await deps.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: deps.uploadBucket,
        Key: session.key,
        UploadId: uploadId,
        MultipartUpload: { Parts: held.map((p) => ({ PartNumber: p.partNumber, ETag: `"${p.etag}"` })) },
      }),
    );
  } catch (e) {
    // Parts below 5 MiB (but the last) or replaced since listing: the client's fault, not worth a retry.
    if (e instanceof Error && ['EntityTooSmall', 'InvalidPart', 'InvalidPartOrder'].includes(e.name)) {
      return refuse(deps, session, uploadId, `S3 refused the parts (${e.name})`);
    }
    throw e;
  }
  await forget(deps, uploadId);
  return { key: session.key, size };
}

/** Abandons an upload: its parts are deleted and the session forgotten. */
export async function abortUpload(deps: UploadDeps, caller: Caller, uploadId: string): Promise<void> {
  const session = await sessionFor(deps, caller, uploadId, { allowStarter: true });
  await abortQuietly(deps, session.key, uploadId);
  await forget(deps, uploadId);
}
