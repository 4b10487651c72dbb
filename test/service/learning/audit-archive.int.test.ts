import { createHash } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type Kysely, sql } from 'kysely';
import type { Identity } from '#contracts/access-token';
import { COMPLIANCE_PROFILES } from '#contracts/compliance-profiles';
import { LocalObjectStore } from '#local/object-store';
import {
  archiveAuditMonths,
  AuditArchiveReader,
  auditArchiveKey,
  startAuditArchive,
} from '#service/learning/audit-archive';
import { rebuildFirstActivity } from '#service/analytics/rebuild';
import { loadHyparquet } from '#service/learning/parquet';
import { recordHeartbeat } from '#service/learning/progress';
import { learnerAudit } from '#service/learning/records';
import { closeIdleViewingRuns } from '#service/learning/viewing-runs';
import type { Database } from '#service/db/schema';
import { platformAdmin, seedProvision, seedVideoCourse } from '../seed';
import { appConnection, serviceFixture, type ServiceFixture } from '../service-fixture';
import type { TestDatabase } from '../test-database';

/*
 * The audit trail's old months move to S3 as Parquet (migration 0019, audit-archive.ts) and the audit export
 * reads them there: against PostgreSQL and the local object store (s3rver), a learner's viewing runs in 2024
 * are exported, archived and exported again, to the same answer, every credited second included. The month's
 * partition is gone, its record and object hold its rows; a rerun archives nothing; an object under the
 * month's key that is not the month's refuses the archive; recent months and months an open run may still
 * write into stay.
 */

const profile = COMPLIANCE_PROFILES.standard;
const BUCKET = 'test-audit-archive';
const LEARNERS = 3;
/** Learners whose rows fill the months around the three, so a row group holds someone else's rows. */
const OTHERS = 40;
/** Small row groups, so one learner's read skips most of a month. */
const ROW_GROUP = 8;

let fx: ServiceFixture;
let t: TestDatabase;
/** The service's own least-privileged connection, which the archiver runs on as deployed. */
let service: Kysely<Database>;
let store: LocalObjectStore;
let s3: S3Client;
let provisionId: string;
let videos: string[];
let learners: string[];
let others: string[];
/** Per learner: the seconds the heartbeats' answers credited. */
const credited = new Map<string, number>();

const admin = platformAdmin('archive-admin');
const learnerOf = (i: number): Identity => ({
  sub: `archive-learner-${i}`,
  email: undefined,
  roles: ['learner'],
});

async function enroll(sub: string, createdAt: string): Promise<string> {
  const { rows } = await sql<{ id: string }>`
    insert into enrollments (provision_id, course_id, user_sub, created_at)
    select id, course_id, ${sub}, ${createdAt}::timestamptz from provisions where id = ${provisionId}
    returning id`.execute(t.db);
  return rows[0]!.id;
}

/** A learner watching a video from `from` for `beats` beats 10 s apart. */
async function watch(learner: number, video: number, from: string, beats: number) {
  const start = new Date(from).getTime();
  let total = credited.get(learners[learner]!) ?? 0;
  for (let i = 0; i < beats; i++) {
    const result = await recordHeartbeat(
      t.db,
      learnerOf(learner),
      learners[learner]!,
      {
        contentId: videos[video]!,
        sessionId: `tab-${learner}-${from}`,
        sequence: i + 1,
        position: i * 10,
        playbackRate: 1,
      },
      profile,
      new Date(start + i * 10_000),
    );
    total += result.creditedSeconds;
  }
  credited.set(learners[learner]!, total);
}

/** Grade entries of the other learners, dated in the month. */
async function fill(month: string) {
  await sql`
    insert into learning_audit (enrollment_id, user_sub, kind, detail, at)
    select e.id, e.user_sub, 'grade',
      jsonb_build_object('score', n, 'note', repeat(md5(e.id::text || n), 4)),
      ${`${month}-05T09:00:00.123456Z`}::timestamptz + make_interval(mins => n, secs => n * 0.000917)
    from enrollments e, generate_series(1, 5) n
    where e.id = any(${others}::uuid[])`.execute(t.db);
}

const partitionExists = async (month: string) =>
  (
    await sql<{ found: boolean }>`
      select to_regclass(${`learning_audit_${month.slice(0, 7).replace('-', '_')}`}) is not null as found`.execute(
      t.db,
    )
  ).rows[0]!.found;

const exportOf = (enrollmentId: string, archive?: AuditArchiveReader) =>
  learnerAudit(service, admin, provisionId, enrollmentId, archive);

const creditedIn = (audit: Awaited<ReturnType<typeof exportOf>>) =>
  audit.entries.filter((e) => e.kind === 'credit').reduce((s, e) => s + (e.detail.seconds as number), 0);

/** A month's rows as the database holds them, by enrollment and id. */
const monthRows = async (month: string) =>
  (
    await sql<Record<string, unknown>>`
      select id::text as id, enrollment_id::text as enrollment_id, user_sub, kind, content_id::text as content_id,
        detail::text as detail, (extract(epoch from at) * 1000000)::bigint::text as at
      from learning_audit where at >= ${`${month}-01T00:00:00Z`}::timestamptz
        and at < ${`${month}-01T00:00:00Z`}::timestamptz + interval '1 month'
      order by enrollment_id, id`.execute(t.db)
  ).rows;

async function objectBytes(key: string): Promise<Uint8Array> {
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return got.Body!.transformToByteArray();
}

/** The object's rows as any Parquet reader sees them, in the same shape as monthRows. */
async function objectRows(key: string) {
  const { parquetReadObjects } = await loadHyparquet();
  const bytes = await objectBytes(key);
  const rows = await parquetReadObjects({
    file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    parsers: { timestampFromMicroseconds: (m: bigint) => m },
  });
  return rows.map((r) => ({
    id: String(r.id),
    enrollment_id: r.enrollment_id,
    user_sub: r.user_sub,
    kind: r.kind,
    content_id: r.content_id ?? null,
    detail: r.detail,
    at: String(r.at),
  }));
}

/** The reader, counting the bytes its range reads fetch and refusing a read without a range. */
function countingReader() {
  const reads: { key: string; range: string | undefined }[] = [];
  const counting = {
    send: (command: GetObjectCommand) => {
      reads.push({ key: command.input.Key!, range: command.input.Range });
      return s3.send(command);
    },
  } as unknown as S3Client;
  // A footer's first read as small as a footer, so that what the exports read is the row groups they need.
  return { reader: new AuditArchiveReader({ s3: counting, bucket: BUCKET }, { footerBytes: 1024 }), reads };
}

const rangeBytes = (range: string) => {
  const [, from, to] = /^bytes=(\d+)-(\d+)$/.exec(range)!;
  return Number(to) - Number(from) + 1;
};

beforeAll(async () => {
  store = await LocalObjectStore.start({
    uploadBucket: 'test-archive-uploads',
    outputBucket: 'test-archive-output',
    privateBuckets: [BUCKET],
  });
  s3 = store.client();
  fx = await serviceFixture('audit_archive', { auditArchive: { s3, bucket: BUCKET } });
  t = fx.database;
  service = await appConnection(t);
  const seeded = await seedVideoCourse(t.db, { videos: 2, ready: true });
  videos = seeded.videoIds;
  ({ provisionId } = await seedProvision(t.db, {
    institutionId: seeded.institutionId,
    courseId: seeded.courseId,
    startsOn: '2023-12-01',
    endsOn: '2099-12-31',
  }));
  await sql`select learning_audit_add_partitions('2024-01-01', '2024-06-01')`.execute(t.db);
  learners = [];
  for (let i = 0; i < LEARNERS; i++) learners.push(await enroll(learnerOf(i).sub, '2024-01-20T00:00:00Z'));
  others = [];
  for (let i = 0; i < OTHERS; i++) others.push(await enroll(`archive-other-${i}`, '2024-01-10T00:00:00Z'));
  for (const month of ['2024-02', '2024-03', '2024-04']) await fill(month);
  // Runs in February, March (two days, both videos) and April, then a gap that closes them.
  await watch(0, 0, '2024-02-12T10:00:00Z', 30);
  await watch(1, 1, '2024-02-29T23:58:00Z', 20);
  await watch(0, 1, '2024-03-03T08:00:00Z', 25);
  await watch(2, 0, '2024-03-15T12:00:00Z', 40);
  await watch(0, 0, '2024-03-16T12:00:00Z', 12);
  await watch(1, 0, '2024-04-02T07:00:00Z', 18);
  expect(await closeIdleViewingRuns(t.db, new Date('2024-04-10T00:00:00Z'))).toBeGreaterThan(0);
  // A run that opens on 28 April and is still open: April and every later month wait for it.
  await watch(2, 1, '2024-04-28T20:00:00Z', 6);
});

afterAll(async () => {
  await service?.destroy();
  await fx?.close();
  s3?.destroy();
  await store?.close();
});

describe('the audit trail’s archive', () => {
  let before: Map<string, Awaited<ReturnType<typeof exportOf>>>;
  let february: Record<string, unknown>[];
  let march: Record<string, unknown>[];

  it('archives the closed months past the kept ones, and the export reads them back to the same answer', async () => {
    before = new Map();
    for (const id of learners) before.set(id, await exportOf(id));
    const inspector = await fx.person(['platform-admin']);
    const route = async (id: string) => {
      const res = await fx.call(inspector, {
        method: 'GET',
        url: `/provisions/${provisionId}/enrollments/${id}/audit`,
      });
      expect(res.statusCode).toBe(200);
      return res.body;
    };
    const answered = new Map<string, string>();
    for (const id of learners) answered.set(id, await route(id));
    for (const [id, audit] of before) expect(creditedIn(audit)).toBe(credited.get(id));
    expect([...credited.values()].reduce((a, b) => a + b)).toBeGreaterThan(1000);
    february = await monthRows('2024-02');
    march = await monthRows('2024-03');

    const result = await archiveAuditMonths({
      db: service,
      s3,
      bucket: BUCKET,
      now: new Date('2024-07-15T00:00:00Z'),
      keepMonths: 2,
      rowGroupSize: ROW_GROUP,
    });
    // January was empty and is archived too; April waits for its open run; May and June are kept.
    expect(result).toEqual({
      archived: [
        { month: '2024-01-01', key: auditArchiveKey('2024-01-01'), rows: 0, reused: false },
        { month: '2024-02-01', key: auditArchiveKey('2024-02-01'), rows: february.length, reused: false },
        { month: '2024-03-01', key: auditArchiveKey('2024-03-01'), rows: march.length, reused: false },
      ],
      open: ['2024-04-01'],
      refused: [],
    });
    for (const month of ['2024-01', '2024-02', '2024-03']) expect(await partitionExists(month)).toBe(false);
    for (const month of ['2024-04', '2024-05', '2024-06']) expect(await partitionExists(month)).toBe(true);

    const records = await t.db.selectFrom('learning_audit_archives').selectAll().orderBy('month').execute();
    expect(records.map((r) => [r.month, r.object_key, Number(r.row_count)])).toEqual([
      ['2024-01-01', auditArchiveKey('2024-01-01'), 0],
      ['2024-02-01', auditArchiveKey('2024-02-01'), february.length],
      ['2024-03-01', auditArchiveKey('2024-03-01'), march.length],
    ]);
    for (const [record, rows] of [
      [records[1]!, february],
      [records[2]!, march],
    ] as const) {
      const bytes = await objectBytes(record.object_key);
      expect(record.object_sha256).toBe(createHash('sha256').update(bytes).digest('base64'));
      expect(Number(record.object_bytes)).toBe(bytes.byteLength);
      expect(await objectRows(record.object_key)).toEqual(rows);
      const ids = rows.map((r) => BigInt(r.id as string));
      expect(record.min_id).toBe(ids.reduce((a, b) => (b < a ? b : a)).toString());
      expect(record.max_id).toBe(ids.reduce((a, b) => (b > a ? b : a)).toString());
    }

    const { reader, reads } = countingReader();
    const perLearner: number[] = [];
    for (const id of learners) {
      const readsBefore = reads.length;
      const after = await exportOf(id, reader);
      perLearner.push(reads.slice(readsBefore).reduce((sum, r) => sum + rangeBytes(r.range!), 0));
      expect(after).toEqual(before.get(id));
      // The answer's bytes too, key order and all: the route serializes this object.
      expect(JSON.stringify(after)).toBe(JSON.stringify(before.get(id)));
      expect(creditedIn(after)).toBe(credited.get(id));
    }
    // The route's answer, byte for byte.
    for (const id of learners) expect(await route(id)).toBe(answered.get(id));
    // A recount of first activity keeps what the archived credits set (they are not here to recount).
    const firstActivity = () =>
      t.db.selectFrom('enrollments').select(['id', 'first_activity_at']).orderBy('id').execute();
    const kept = await firstActivity();
    expect(
      kept.some((e) => e.first_activity_at && e.first_activity_at < new Date('2024-04-01T00:00:00Z')),
    ).toBe(true);
    expect(await rebuildFirstActivity(t.db)).toBe(0);
    expect(await firstActivity()).toEqual(kept);
    // Only by range, and a learner's export reads a part of each month's object, not all of it: the footers
    // once (the reader keeps them), then the row groups whose enrollment_id bounds admit the learner.
    expect(reads.every((r) => r.range !== undefined)).toBe(true);
    const objects = Number(records[1]!.object_bytes) + Number(records[2]!.object_bytes);
    for (const fetched of perLearner.slice(1)) expect(fetched).toBeLessThan(objects / 4);
    expect(perLearner[0]!).toBeLessThan(objects / 2);
  });

  it('says the archive is unreachable rather than answer a trail with months missing', async () => {
    await expect(exportOf(learners[0]!)).rejects.toMatchObject({ status: 503 });
    const down = { send: () => Promise.reject(new Error('the store is down')) } as unknown as S3Client;
    await expect(
      exportOf(learners[0]!, new AuditArchiveReader({ s3: down, bucket: BUCKET })),
    ).rejects.toMatchObject({
      status: 503,
    });
  });

  it('archives nothing on a rerun, and a month once archived is not made again', async () => {
    const again = await archiveAuditMonths({
      db: service,
      s3,
      bucket: BUCKET,
      now: new Date('2024-07-15T00:00:00Z'),
      keepMonths: 2,
    });
    expect(again).toEqual({ archived: [], open: ['2024-04-01'], refused: [] });
    await sql`select learning_audit_add_partitions('2024-01-01', '2024-06-01')`.execute(t.db);
    expect(await partitionExists('2024-02')).toBe(false);
    expect(await t.db.selectFrom('learning_audit_archives').select('month').execute()).toHaveLength(3);
  });

  it('refuses a month whose key holds another object, and leaves its partition', async () => {
    // The open run closes: April is due now.
    expect(await closeIdleViewingRuns(t.db, new Date('2024-05-01T00:00:00Z'))).toBe(1);
    const april = await monthRows('2024-04');
    const key = auditArchiveKey('2024-04-01');
    const archive = () =>
      archiveAuditMonths({
        db: service,
        s3,
        bucket: BUCKET,
        now: new Date('2024-07-15T00:00:00Z'),
        keepMonths: 2,
      });

    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'PAR1 not parquet at all' }));
    const garbage = await archive();
    expect(garbage.archived).toEqual([]);
    expect(garbage.refused).toEqual([
      { month: '2024-04-01', reason: expect.stringMatching(/no readable Parquet/) },
    ]);

    // A real archive, of another month: readable, but not April's rows.
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: key,
        Body: await objectBytes(auditArchiveKey('2024-03-01')),
      }),
    );
    const other = await archive();
    expect(other.refused).toEqual([{ month: '2024-04-01', reason: expect.stringMatching(/other rows/) }]);
    expect(await partitionExists('2024-04')).toBe(true);
    expect(await monthRows('2024-04')).toEqual(april);
    // What was there is left as it was.
    expect(await objectBytes(key)).toEqual(await objectBytes(auditArchiveKey('2024-03-01')));
  });

  it('reuses an object a crashed run left with the month’s rows, and the database refuses a drop it cannot check', async () => {
    const key = auditArchiveKey('2024-04-01');
    const april = await monthRows('2024-04');
    // The database itself refuses rows other than the partition's, a month not over, and the default partition.
    const drop = (month: string, rows: number) =>
      sql`select learning_audit_archive_month(${month}::date, 'k', ${rows}::bigint, 'x', 1, 2, 'x',
            ${'0'.repeat(64)}, 1)`.execute(t.db);
    await expect(drop('2024-04-01', april.length)).rejects.toThrow(/other rows than were archived/);
    await expect(drop('2099-01-01', 0)).rejects.toThrow(/no partition of the whole month/);
    const current = new Date().toISOString().slice(0, 7);
    await expect(drop(`${current}-01`, 0)).rejects.toThrow(/not over/);
    expect(await partitionExists('2024-04')).toBe(true);

    // A run that stops right after its write (the task ended before reading the object back): the object is
    // the month's, the partition still there.
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    let gets = 0;
    const crashing = {
      send: (command: unknown) => {
        if (command instanceof GetObjectCommand && command.input.Key === key && ++gets === 2)
          return Promise.reject(new Error('the task stopped'));
        return s3.send(command as never);
      },
    } as unknown as S3Client;
    const crashed = await archiveAuditMonths({
      db: service,
      s3: crashing,
      bucket: BUCKET,
      now: new Date('2024-07-15T00:00:00Z'),
      keepMonths: 2,
    });
    expect(crashed.refused).toEqual([{ month: '2024-04-01', reason: 'the task stopped' }]);
    expect(gets).toBe(2);
    expect(await partitionExists('2024-04')).toBe(true);
    expect(await objectRows(key)).toEqual(april);
    const resumed = await archiveAuditMonths({
      db: service,
      s3,
      bucket: BUCKET,
      now: new Date('2024-07-15T00:00:00Z'),
      keepMonths: 2,
    });
    expect(resumed).toEqual({
      archived: [{ month: '2024-04-01', key, rows: april.length, reused: true }],
      open: [],
      refused: [],
    });
    expect(await partitionExists('2024-04')).toBe(false);
    expect(await objectRows(key)).toEqual(april);
    const reader = new AuditArchiveReader({ s3, bucket: BUCKET });
    for (const id of learners) expect(creditedIn(await exportOf(id, reader))).toBe(credited.get(id));
  });

  it('archives a month once when two tasks run at the same time', async () => {
    await sql`select learning_audit_add_partitions('2023-10-01', '2023-10-01')`.execute(t.db);
    await fill('2023-10');
    const october = await monthRows('2023-10');
    const pass = () =>
      archiveAuditMonths({
        db: service,
        s3,
        bucket: BUCKET,
        now: new Date('2024-07-15T00:00:00Z'),
        keepMonths: 2,
      });
    const [one, two] = await Promise.all([pass(), pass()]);
    expect([...one.archived, ...two.archived]).toEqual([
      {
        month: '2023-10-01',
        key: auditArchiveKey('2023-10-01'),
        rows: october.length,
        reused: expect.any(Boolean),
      },
    ]);
    expect([...one.refused, ...two.refused]).toEqual([]);
    expect(await partitionExists('2023-10')).toBe(false);
    expect(await objectRows(auditArchiveKey('2023-10-01'))).toEqual(october);
  });

  it('never archives the current month nor those kept, and needs at least one kept', async () => {
    const now = new Date();
    const monthsAgo = (n: number) => {
      const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - n, 1));
      return d.toISOString().slice(0, 10);
    };
    await sql`select learning_audit_add_partitions(${monthsAgo(2)}::date, ${monthsAgo(0)}::date)`.execute(
      t.db,
    );
    for (const n of [2, 1, 0])
      await sql`
        insert into learning_audit (enrollment_id, user_sub, kind, detail, at)
        values (${others[0]!}::uuid, 'archive-other-0', 'grade', '{}', ${monthsAgo(n)}::timestamptz)`.execute(
        t.db,
      );
    const warnings: unknown[] = [];
    const worker = startAuditArchive({
      db: service,
      s3,
      bucket: BUCKET,
      keepMonths: 1,
      clock: () => now,
      log: { warn: (message, fields) => warnings.push({ message, fields }) },
    });
    // The first pass starts at once; stop() waits for it to finish.
    await worker.stop();
    expect(warnings).toEqual([]);
    expect(await partitionExists(monthsAgo(2))).toBe(false);
    expect(await partitionExists(monthsAgo(1))).toBe(true);
    expect(await partitionExists(monthsAgo(0))).toBe(true);
    await expect(archiveAuditMonths({ db: service, s3, bucket: BUCKET, now, keepMonths: 0 })).rejects.toThrow(
      /at least 1/,
    );
  });
});
