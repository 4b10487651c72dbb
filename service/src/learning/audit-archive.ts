import { createHash } from 'node:crypto';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AsyncBuffer, FileMetaData } from 'hyparquet';
import { type Kysely, sql } from 'kysely';
import { CORE_SERVICE } from '#contracts/resources';
import type { Database, LearningAuditTable } from '../db/schema';
import { startLoops, type LoopOptions, type Worker } from '../shared/background-loop';
import { loadHyparquet, loadHyparquetWriter } from './parquet';

/*
 * The audit trail's old months in S3 (issue 22, migration 0019). A month partition of learning_audit that
 * ended more than `keepMonths` months ago, and that no open viewing run can still write into, is written as
 * one Parquet object, read back and checked against the database, and then dropped in the transaction that
 * records the archive. The audit export (records.ts) reads an archived month's rows of one enrollment from
 * its object with range reads, skipping the row groups whose enrollment_id statistics exclude it.
 */

/** Months kept in the database after the current one, unless configured (`audit.archive.keepMonths`). */
export const AUDIT_ARCHIVE_KEEP_MONTHS = 24;

/** Rows per row group: a learner's rows in a month are a few, so a read fetches one or two groups. */
export const AUDIT_ARCHIVE_ROW_GROUP = 4096;

/** Where the archive's objects are: the S3 client and bucket, shared by the archiver and the export. */
export interface AuditArchiveStore {
  readonly s3: S3Client;
  readonly bucket: string;
}

/** The object of a month, named so that a rerun finds what an interrupted run wrote. */
export const auditArchiveKey = (month: string): string =>
  `${CORE_SERVICE.auditArchivePrefix}month=${month.slice(0, 7)}/learning-audit-${month.slice(0, 7)}.parquet`;

/** A trail row as archived: every column as the database prints it, so nothing is lost or rounded. */
interface ArchivedRow {
  readonly id: string;
  readonly enrollmentId: string;
  readonly userSub: string;
  readonly kind: LearningAuditTable['kind'];
  readonly contentId: string | null;
  /** The jsonb's text. */
  readonly detail: string;
  /** `at`, in microseconds since the epoch: timestamptz's precision, which a Date would round. */
  readonly atMicros: string;
}

/** The Parquet columns, in the trail's order; `at` a UTC timestamp in microseconds for any other reader. */
const SCHEMA = [
  { name: 'root', num_children: 7 },
  { name: 'id', type: 'INT64', repetition_type: 'REQUIRED' },
  { name: 'enrollment_id', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  { name: 'user_sub', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  { name: 'kind', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  { name: 'content_id', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  // The jsonb's text as the database printed it (a JSON column would be written re-serialized).
  { name: 'detail', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  {
    name: 'at',
    type: 'INT64',
    logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
    repetition_type: 'REQUIRED',
  },
] as const;

/** Read back as written: `at` kept in microseconds rather than rounded to a Date. */
const PARSERS = { timestampFromMicroseconds: (micros: bigint) => micros };

const sha256Hex = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');
const sha256Base64 = (data: Uint8Array) => createHash('sha256').update(data).digest('base64');

/** The rows' digest, in their archived order: the same from the database's rows and from the object's. */
function contentDigest(rows: readonly ArchivedRow[]): string {
  const hash = createHash('sha256');
  for (const r of rows)
    hash.update(
      `${JSON.stringify([r.id, r.enrollmentId, r.userSub, r.kind, r.contentId, r.detail, r.atMicros])}\n`,
    );
  return hash.digest('hex');
}

/** The ids' digest as learning_audit_archive_month computes it (ascending, comma-separated). */
function idsDigest(rows: readonly ArchivedRow[]): string {
  const ids = rows.map((r) => BigInt(r.id)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sha256Hex(ids.join(','));
}

const monthBounds = (month: string) => {
  const start = new Date(`${month}T00:00:00Z`);
  const end = new Date(start);
  end.setUTCMonth(end.getUTCMonth() + 1);
  return { start, end };
};

/** A month's rows, from its partition only (its bounds prune every other), by enrollment and id. */
async function monthRows(db: Kysely<Database>, month: string): Promise<ArchivedRow[]> {
  const { start, end } = monthBounds(month);
  const { rows } = await sql<ArchivedRow>`
    select id::text as id, enrollment_id::text as "enrollmentId", user_sub as "userSub", kind,
      content_id::text as "contentId", detail::text as detail,
      (extract(epoch from at) * 1000000)::bigint::text as "atMicros"
    from learning_audit where at >= ${start} and at < ${end}
    order by enrollment_id, id`.execute(db);
  return rows;
}

async function parquetOf(rows: readonly ArchivedRow[], rowGroupSize: number): Promise<Uint8Array> {
  const { parquetWriteBuffer } = await loadHyparquetWriter();
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'id', data: rows.map((r) => BigInt(r.id)) },
      { name: 'enrollment_id', data: rows.map((r) => r.enrollmentId) },
      { name: 'user_sub', data: rows.map((r) => r.userSub) },
      { name: 'kind', data: rows.map((r) => r.kind) },
      { name: 'content_id', data: rows.map((r) => r.contentId) },
      { name: 'detail', data: rows.map((r) => r.detail), statistics: false },
      { name: 'at', data: rows.map((r) => BigInt(r.atMicros)) },
    ],
    schema: SCHEMA.map((e) => ({ ...e })),
    rowGroupSize,
    // Whole ids in the statistics (a UUID is 36 bytes), so a row group is skipped by its exact bounds.
    statisticsTruncateLength: 64,
  });
  return new Uint8Array(buffer);
}

interface ParquetRow {
  readonly id: bigint;
  readonly enrollment_id: string;
  readonly user_sub: string;
  readonly kind: LearningAuditTable['kind'];
  readonly content_id: string | null;
  readonly detail: string;
  readonly at: bigint;
}

const archivedRowOf = (r: ParquetRow): ArchivedRow => ({
  id: r.id.toString(),
  enrollmentId: r.enrollment_id,
  userSub: r.user_sub,
  kind: r.kind,
  contentId: r.content_id ?? null,
  detail: r.detail,
  atMicros: r.at.toString(),
});

/** Every row of an object, in its order. */
async function parseArchive(bytes: Uint8Array): Promise<ArchivedRow[]> {
  const { parquetReadObjects } = await loadHyparquet();
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const rows = (await parquetReadObjects({ file, parsers: PARSERS })) as ParquetRow[];
  return rows.map(archivedRowOf);
}

async function getObject(store: AuditArchiveStore, key: string): Promise<Uint8Array | undefined> {
  try {
    const got = await store.s3.send(new GetObjectCommand({ Bucket: store.bucket, Key: key }));
    return await got.Body!.transformToByteArray();
  } catch (e) {
    if (e instanceof NoSuchKey || (e as { name?: string }).name === 'NoSuchKey') return undefined;
    throw e;
  }
}

export interface ArchivedMonth {
  /** The month's first day, YYYY-MM-DD. */
  readonly month: string;
  readonly key: string;
  readonly rows: number;
  /** The object was there already, with these rows (a run interrupted after its write). */
  readonly reused: boolean;
}

export interface AuditArchiveResult {
  readonly archived: readonly ArchivedMonth[];
  /** Months due but kept: an open viewing run may still write into them. */
  readonly open: readonly string[];
  /** Months due that failed a check (or the store): their partitions stay, for someone to look at. */
  readonly refused: readonly { readonly month: string; readonly reason: string }[];
}

export interface ArchiveAuditMonthsOptions extends AuditArchiveStore {
  readonly db: Kysely<Database>;
  readonly now: Date;
  /** Months kept in the database after the current one: a month is archived once it ended longer ago. */
  readonly keepMonths: number;
  /** @default AUDIT_ARCHIVE_ROW_GROUP */
  readonly rowGroupSize?: number;
}

/**
 * Archives every month partition of the trail that ended more than `keepMonths` months before `now` and has
 * no open viewing run started in or before it, oldest first. Safe to repeat, to run from several tasks and to
 * rerun after a crash anywhere: an object already under the month's key is reused when its rows are the
 * month's, and refused otherwise (the partition stays; nothing is overwritten); the partition is dropped only
 * in the transaction that records the archive, after the database checked it holds what was archived.
 */
export async function archiveAuditMonths(options: ArchiveAuditMonthsOptions): Promise<AuditArchiveResult> {
  const { db, now, keepMonths } = options;
  if (!Number.isInteger(keepMonths) || keepMonths < 1)
    throw new Error(`keepMonths must be a whole number of months, at least 1: ${keepMonths}`);
  const { rows: partitions } = await sql<{ month: string; blocked: boolean }>`
    select to_char(m.month, 'YYYY-MM-DD') as month,
      exists (select from content_progress p
              where p.run_id is not null
                and p.run_started_at < ((m.month + interval '1 month')::timestamp at time zone 'UTC')) as blocked
    from (
      select to_date(substr(c.relname, 16), 'YYYY_MM') as month
      from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'learning_audit'::regclass and c.relname ~ '^learning_audit_[0-9]{4}_[0-9]{2}$') m
    -- Months counted back in UTC, a day past a shorter month's end clamped to it (31 March less a month is
    -- 28 or 29 February), so the month before the current one is never due with keepMonths 1.
    where (m.month + interval '1 month')::timestamp
      <= (${now}::timestamptz at time zone 'UTC') - make_interval(months => ${keepMonths}::integer)
    order by m.month`.execute(db);
  const archived: ArchivedMonth[] = [];
  const open: string[] = [];
  const refused: { month: string; reason: string }[] = [];
  for (const { month, blocked } of partitions) {
    if (blocked) {
      open.push(month);
      continue;
    }
    try {
      const done = await archiveMonth(options, month);
      if (done) archived.push(done);
    } catch (e) {
      // Another task archived it while this one was at it (and read it half gone, or found its object).
      const record = await db
        .selectFrom('learning_audit_archives')
        .select('month')
        .where('month', '=', month)
        .executeTakeFirst();
      if (!record) refused.push({ month, reason: (e as Error).message });
    }
  }
  return { archived, open, refused };
}

/** The month archived, or undefined when another task archived it meanwhile. */
async function archiveMonth(
  options: ArchiveAuditMonthsOptions,
  month: string,
): Promise<ArchivedMonth | undefined> {
  const { db } = options;
  const rows = await monthRows(db, month);
  const digest = contentDigest(rows);
  const key = auditArchiveKey(month);
  let object = await getObject(options, key);
  const reused = object !== undefined;
  if (!object) {
    const body = await parquetOf(rows, options.rowGroupSize ?? AUDIT_ARCHIVE_ROW_GROUP);
    await options.s3.send(
      new PutObjectCommand({
        Bucket: options.bucket,
        Key: key,
        Body: body,
        ContentType: 'application/vnd.apache.parquet',
        ChecksumSHA256: sha256Base64(body),
      }),
    );
    object = await getObject(options, key);
    if (!object) throw new Error(`${key} is not in the store after its write`);
    if (sha256Base64(object) !== sha256Base64(body))
      throw new Error(`${key} reads back other bytes than written`);
  }
  // Read back and parsed, whether written now or found: what the export will read is what the month holds.
  const back = await parseArchive(object).catch((e: Error) => {
    throw new Error(`${key} is no readable Parquet: ${e.message}`);
  });
  if (back.length !== rows.length || contentDigest(back) !== digest)
    throw new Error(`${key} holds other rows than the month's ${rows.length} (left in place)`);
  const ids = rows.map((r) => BigInt(r.id));
  const min = ids.length ? ids.reduce((a, b) => (b < a ? b : a)).toString() : null;
  const max = ids.length ? ids.reduce((a, b) => (b > a ? b : a)).toString() : null;
  const done = await db.transaction().execute(async (trx) => {
    const { rows: archived } = await sql<{ done: boolean }>`
      select learning_audit_archive_month(
        p_month => ${month}::date,
        p_object_key => ${key},
        p_row_count => ${rows.length}::bigint,
        p_ids_sha256 => ${idsDigest(rows)},
        p_min_id => ${min}::bigint,
        p_max_id => ${max}::bigint,
        p_object_sha256 => ${sha256Base64(object)},
        p_content_sha256 => ${digest},
        p_object_bytes => ${object.byteLength}::bigint) as done`.execute(trx);
    return archived[0]!.done;
  });
  return done ? { month, key, rows: rows.length, reused } : undefined;
}

/** One entry of the audit export, as records.ts's learnerAudit answers it. */
export interface AuditEntry {
  readonly id: string;
  readonly kind: LearningAuditTable['kind'];
  readonly contentId: string | null;
  readonly detail: Record<string, unknown>;
  readonly at: Date;
}

/**
 * `at` as the database driver gives a timestamptz (postgres-date): whole milliseconds of the printed
 * fraction, which it truncates, so an archived entry's time is the very Date it had in the database.
 */
function dateOfMicros(atMicros: string): Date {
  const micros = BigInt(atMicros);
  let seconds = micros / 1_000_000n;
  let fraction = micros % 1_000_000n;
  if (fraction < 0n) {
    fraction += 1_000_000n;
    seconds -= 1n;
  }
  const ms = Math.trunc(1000 * parseFloat(`0.${fraction.toString().padStart(6, '0')}`));
  return new Date(Number(seconds) * 1000 + ms);
}

/**
 * An object read by ranges: the footer, then only the column chunks of the row groups a read needs.
 * Its size is the archive record's, so no request is spent asking for it.
 */
function objectByRanges(store: AuditArchiveStore, key: string, byteLength: number): AsyncBuffer {
  return {
    byteLength,
    async slice(start: number, end = byteLength) {
      const got = await store.s3.send(
        new GetObjectCommand({ Bucket: store.bucket, Key: key, Range: `bytes=${start}-${end - 1}` }),
      );
      const bytes = await got.Body!.transformToByteArray();
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  };
}

/** The footer's first read: a month's footer (a few hundred row groups) fits, a small object is read whole. */
const FOOTER_FETCH_BYTES = 64 * 1024;
/** Footers kept per process: objects never change, and an export reads every month of an enrollment. */
const FOOTERS_KEPT = 240;

/** Reads one enrollment's entries out of the archived months, for the audit export. */
export class AuditArchiveReader {
  private readonly footers = new Map<string, Promise<FileMetaData>>();

  constructor(
    readonly store: AuditArchiveStore,
    private readonly options: {
      /** The footer's first read, in bytes. @default 64 KiB */
      readonly footerBytes?: number;
    } = {},
  ) {}

  /** The enrollment's entries in the objects named, in the objects' order (by id within each). */
  async entries(
    enrollmentId: string,
    objects: readonly { readonly key: string; readonly bytes: number }[],
  ): Promise<AuditEntry[]> {
    const { parquetReadObjects } = await loadHyparquet();
    const perObject = await Promise.all(
      objects.map(async ({ key, bytes }) => {
        const file = objectByRanges(this.store, key, bytes);
        const metadata = await this.footer(key, file);
        const rows = (await parquetReadObjects({
          file,
          metadata,
          filter: { enrollment_id: { $eq: enrollmentId } },
          parsers: PARSERS,
        })) as ParquetRow[];
        return rows.map((r) => {
          const row = archivedRowOf(r);
          return {
            id: row.id,
            kind: row.kind,
            contentId: row.contentId,
            detail: JSON.parse(row.detail) as Record<string, unknown>,
            at: dateOfMicros(row.atMicros),
          };
        });
      }),
    );
    return perObject.flat();
  }

  private footer(key: string, file: AsyncBuffer): Promise<FileMetaData> {
    let found = this.footers.get(key);
    if (!found) {
      if (this.footers.size >= FOOTERS_KEPT) this.footers.delete(this.footers.keys().next().value!);
      found = loadHyparquet().then((h) =>
        h.parquetMetadataAsync(file, {
          initialFetchSize: this.options.footerBytes ?? FOOTER_FETCH_BYTES,
          parsers: PARSERS,
        }),
      );
      // A failed read is not kept: the next export tries again.
      found.catch(() => this.footers.delete(key));
      this.footers.set(key, found);
    }
    return found;
  }
}

export interface AuditArchiveOptions extends LoopOptions, AuditArchiveStore {
  readonly db: Kysely<Database>;
  /** Months kept in the database after the current one (config `audit.archive.keepMonths`); 0: none archived. */
  readonly keepMonths: number;
  /** @default the system clock */
  readonly clock?: () => Date;
  /** @default AUDIT_ARCHIVE_ROW_GROUP */
  readonly rowGroupSize?: number;
}

/**
 * Archives the trail's old months in the service's process: once at start and then every `idleMs` (a day by
 * default; a month becomes due once a month). A month refused is logged and left; the next pass tries again.
 */
export function startAuditArchive(options: AuditArchiveOptions): Worker {
  const clock = options.clock ?? (() => new Date());
  // 0: archiving is off; the export still reads what was archived before.
  if (options.keepMonths === 0) return { stop: async () => undefined };
  return startLoops(
    {
      'audit archive': async () => {
        const result = await archiveAuditMonths({ ...options, now: clock() });
        for (const r of result.refused)
          options.log.warn('audit archive refused a month; its partition stays', { ...r });
        return false;
      },
    },
    { idleMs: 24 * 3600_000, ...options },
  );
}
