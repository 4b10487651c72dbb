import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { sql } from 'kysely';
import { LocalObjectStore } from '#local/object-store';
import { startLocalPlatform } from '#local/platform';
import { auditArchiveKey } from '#service/learning/audit-archive';
import { seedProvision, seedVideoCourse } from '../service/seed';
import { testDatabase, type TestDatabase } from '../service/test-database';

/*
 * The local platform archives the audit trail's old months into its object store, as the service does into
 * the data stack's archive bucket: a month long over, in the database when the platform starts, is in the
 * store's audit archive bucket once the platform has stopped (stopping waits for the archiver's pass), its
 * partition gone and its record naming the object's bytes.
 */

let database: TestDatabase;
let dir: string;

beforeAll(async () => {
  database = await testDatabase('local_audit_archive');
  dir = await mkdtemp(join(tmpdir(), 'lms-archive-objects-'));
});
afterAll(async () => {
  await database?.close();
  await rm(dir, { recursive: true, force: true });
});

it('moves a month past the kept ones to the local object store, and keeps the recent ones', async () => {
  const { institutionId, courseId } = await seedVideoCourse(database.db, { videos: 1, ready: true });
  const { provisionId } = await seedProvision(database.db, {
    institutionId,
    courseId,
    startsOn: '2024-01-01',
    endsOn: '2099-12-31',
  });
  const { rows } = await sql<{ id: string }>`
    insert into enrollments (provision_id, course_id, user_sub, created_at)
    values (${provisionId}, ${courseId}, 'local-archive-learner', '2024-01-02T00:00:00Z')
    returning id`.execute(database.db);
  await sql`select learning_audit_add_partitions('2024-01-01', '2024-01-01')`.execute(database.db);
  await sql`
    insert into learning_audit (enrollment_id, user_sub, kind, detail, at)
    values (${rows[0]!.id}::uuid, 'local-archive-learner', 'grade', '{"score": 90}', '2024-01-15T00:00:00Z'),
           (${rows[0]!.id}::uuid, 'local-archive-learner', 'grade', '{"score": 95}', now())`.execute(
    database.db,
  );

  const platform = await startLocalPlatform({
    database: database.db,
    dynamoEndpoint: process.env.DYNAMODB_ENDPOINT!,
    port: 0,
    host: '127.0.0.1',
    tablePrefix: `archive-${process.pid}-`,
    log: () => undefined,
    live: { sweepEveryMs: 0 },
    vod: { dir },
    auditArchiveKeepMonths: 2,
  });
  const bucket = platform.auditArchive.bucket;
  await platform.close();

  const records = await database.db.selectFrom('learning_audit_archives').selectAll().execute();
  expect(records.map((r) => [r.month, r.object_key, Number(r.row_count)])).toEqual([
    ['2024-01-01', auditArchiveKey('2024-01-01'), 1],
  ]);
  const { rows: left } = await sql<{ found: boolean }>`
    select to_regclass('learning_audit_2024_01') is not null as found`.execute(database.db);
  expect(left).toEqual([{ found: false }]);
  // This month's entry stays in the database.
  expect(
    await database.db
      .selectFrom('learning_audit')
      .select('detail')
      .where('at', '>', new Date('2025-01-01'))
      .execute(),
  ).toEqual([{ detail: { score: 95 } }]);

  // The store's files outlive it: opened again, it serves the object the record describes.
  const store = await LocalObjectStore.start({
    uploadBucket: 'archive-check-uploads',
    outputBucket: 'archive-check-output',
    privateBuckets: [bucket],
    dir,
  });
  const s3 = store.client();
  try {
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: records[0]!.object_key }));
    const bytes = await got.Body!.transformToByteArray();
    expect(createHash('sha256').update(bytes).digest('base64')).toBe(records[0]!.object_sha256);
  } finally {
    s3.destroy();
    await store.close();
  }
});
