import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { sql } from 'kysely';
import { ANALYTICS } from '#contracts/analytics';
import { COMPLIANCE_PROFILES } from '#contracts/compliance-profiles';
import { EVENTS } from '#contracts/resources';
import { localClient, type LocalClient } from '#local/demo-data';
import { LOCAL_AWS } from '#local/dynamodb-local';
import { esmImporter } from '#local/import-esm';
import { startLocalPlatform, type LocalPlatform } from '#local/platform';
import { businessNumberFrom } from '../service/service-fixture';
import { testDatabase, type TestDatabase } from '../service/test-database';

/*
 * The analytics export on one machine: real facts made through the API (a course, a company's provision,
 * two enrollments, one completion) travel the local bus to the export, which writes them as Parquet into the
 * local object store; read back with a Parquet reader, they count what the database holds.
 */

let platform: LocalPlatform;
let database: TestDatabase;
let client: LocalClient;
let s3: S3Client;
// The core service's clock, moved instead of waiting: progress is credited in server time.
let nowMs = Date.parse('2026-12-10T01:00:00Z');

beforeAll(async () => {
  database = await testDatabase('local_analytics_export');
  platform = await startLocalPlatform({
    database: database.db,
    dynamoEndpoint: process.env.DYNAMODB_ENDPOINT!,
    port: 0,
    host: '127.0.0.1',
    tablePrefix: `analytics-${process.pid}-`,
    log: () => undefined,
    live: { sweepEveryMs: 0 },
    clock: () => new Date(nowMs),
    compliance: COMPLIANCE_PROFILES.standard,
    // Written only when the test asks, so what it reads is all there is.
    analytics: { flushEveryMs: 0 },
  });
  client = localClient(platform.url);
  s3 = new S3Client({ endpoint: platform.vod.s3Endpoint, forcePathStyle: true, ...LOCAL_AWS });
});
afterAll(async () => {
  s3?.destroy();
  await platform?.close();
  await database?.close();
});

// hyparquet ships ES modules only (see local/import-esm.ts).
const importEsm = esmImporter();

type Row = { id: string; source: string; detail_type: string; time: Date; detail: string };

/** Every exported row, read back from the store's files with hyparquet, and the files' keys. */
async function exported(): Promise<{ keys: string[]; rows: Row[] }> {
  const { parquetReadObjects } = await importEsm<typeof import('hyparquet')>('hyparquet');
  const bucket = platform.analytics!.bucket;
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: ANALYTICS.eventsPrefix }));
  const keys = (listed.Contents ?? []).map((o) => o.Key!);
  const rows: Row[] = [];
  for (const key of keys) {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = await object.Body!.transformToByteArray();
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    rows.push(...((await parquetReadObjects({ file })) as Row[]));
  }
  return { keys, rows };
}

/**
 * Relays the outbox until nothing is left unpublished once every delivery has been handled: consumers
 * publish facts of their own (a completion's certificate), and the platform's own relay may hold rows a
 * moment.
 */
async function settle(): Promise<void> {
  for (;;) {
    await platform.flushEvents();
    await platform.bus.settled();
    const { left } = await database.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<number>().as('left'))
      .where('published_at', 'is', null)
      .executeTakeFirstOrThrow();
    if (Number(left) === 0) return;
  }
}

const countBy = (values: readonly string[]) =>
  Object.fromEntries(
    [...new Set(values)].sort().map((v) => [v, values.filter((x) => x === v).length] as const),
  );

it('writes every event of the bus as Parquet under events/dt=<day>/, counting what the database holds', async () => {
  const { call } = client;
  await call(
    'manager',
    'POST',
    '/institutions',
    {
      name: 'Export Academy',
      ownerName: 'Kim',
      businessNumber: businessNumberFrom('401810041'),
      certificationNumber: 'C-41',
      contactEmail: 'office@export.local',
      contactPhone: '02-000-0041',
    },
    201,
  );
  const course = await call('manager', 'POST', '/courses', { title: 'Forklift basics' }, 201);
  const chapter = await call('manager', 'POST', `/courses/${course.id}/chapters`, { title: 'Week 1' }, 201);
  const video = await call(
    'manager',
    'POST',
    `/courses/${course.id}/chapters/${chapter.id}/contents`,
    { kind: 'video', title: 'Before you lift' },
    201,
  );
  await call('manager', 'POST', `/courses/${course.id}/publish`);
  const company = await call(
    'company',
    'POST',
    '/companies',
    {
      name: 'Export Co',
      ownerName: 'Park',
      businessNumber: businessNumberFrom('401810042'),
      email: 'hr@export.local',
      phone: '031-000-0042',
    },
    201,
  );
  const learners: string[] = [];
  for (const who of ['learner', 'learner2']) {
    const { userSub } = await call(who, 'POST', `/companies/${company.id}/join-requests`);
    await call('company', 'PUT', `/companies/${company.id}/employees/${userSub}/approval`);
    learners.push(userSub);
  }
  const provision = await call(
    'company',
    'POST',
    '/provisions',
    {
      companyId: company.id,
      courseId: course.id,
      startsOn: '2026-12-01',
      endsOn: '2026-12-31',
      attendeeCount: 10,
      depositAmount: 500000,
    },
    201,
  );
  await call('manager', 'POST', `/provisions/${provision.id}/decision`, { decision: 'accepted' });
  await call('company', 'POST', `/provisions/${provision.id}/attendees`, { userSubs: learners });

  // The video pipeline's answer, then the first learner watches 80% of it: the standard profile completes.
  await platform.flushEvents();
  await platform.bus.publish([
    {
      source: EVENTS.sources.vod,
      detailType: 'video.ready',
      detail: {
        contentId: video.id,
        occurredAt: new Date(nowMs).toISOString(),
        durationSeconds: 95,
        manifestPath: `videos/${video.id}/index.m3u8`,
      },
      time: new Date(nowMs),
    },
  ]);
  await platform.bus.settled();
  const enrollmentId = (await call('learner', 'GET', `/courses/${course.id}`)).enrollment.id;
  let last;
  for (let i = 0; i <= 8; i++) {
    last = await call('learner', 'POST', `/me/enrollments/${enrollmentId}/heartbeats`, {
      contentId: video.id,
      sessionId: 'tab-1',
      sequence: i,
      position: i * 10,
      playbackRate: 1,
    });
    nowMs += 10_000;
  }
  expect(last).toMatchObject({ completed: true });
  await settle();
  await platform.analytics!.export.flush();

  const { keys, rows } = await exported();
  // One file for the one flush, in the day the events arrived on the platform's clock.
  expect(keys).toEqual([expect.stringMatching(/^events\/dt=2026-12-10\/lms-local-events-.+\.parquet$/)]);
  expect(keys).toEqual(platform.analytics!.export.keys);

  // Everything the bus carried, once each, with the envelope's fields.
  expect(rows).toHaveLength(platform.bus.published.length);
  expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
  const published = new Map(platform.bus.published.map((e) => [e.id, e]));
  for (const row of rows) {
    const e = published.get(row.id)!;
    expect(row).toEqual({
      id: e.id,
      source: e.source,
      detail_type: e['detail-type'],
      time: new Date(e.time),
      detail: JSON.stringify(e.detail),
    });
  }

  // The core's events, per type, as its outbox recorded them, and the facts the database holds.
  const outbox = await sql<{ type: string; n: number }>`
    select type, count(*)::int as n from outbox group by type`.execute(database.db);
  const core = rows.filter((r) => r.source === EVENTS.sources.core);
  expect(countBy(core.map((r) => r.detail_type))).toEqual(
    Object.fromEntries(outbox.rows.map((r) => [r.type, r.n])),
  );
  const enrollments = await database.db
    .selectFrom('enrollments')
    .select((eb) => [eb.fn.countAll<number>().as('all'), eb.fn.count<number>('completed_at').as('completed')])
    .where('provision_id', '=', provision.id)
    .executeTakeFirstOrThrow();
  const counted = countBy(core.map((r) => r.detail_type));
  expect([counted['enrollment.created'], counted['enrollment.completed']]).toEqual([
    Number(enrollments.all),
    Number(enrollments.completed),
  ]);
  expect([Number(enrollments.all), Number(enrollments.completed)]).toEqual([2, 1]);
  // And the other domains' events on the same bus: the video's answer, the completion's certificate.
  expect(countBy(rows.filter((r) => r.source !== EVENTS.sources.core).map((r) => r.detail_type))).toEqual({
    'video.ready': 1,
    'certificate.issued': 1,
  });
});

it('writes a redelivered event again, as Firehose does: a query counts distinct ids', async () => {
  const exporter = platform.analytics!.export;
  const before = (await exported()).rows;
  // An event already written, delivered again (SQS and EventBridge deliver at least once).
  await exporter.receive(platform.bus.published[0]!);
  await exporter.flush();
  const after = (await exported()).rows;
  expect(after).toHaveLength(before.length + 1);
  expect(after.filter((r) => r.id === platform.bus.published[0]!.id)).toHaveLength(2);
  expect(new Set(after.map((r) => r.id)).size).toBe(new Set(before.map((r) => r.id)).size);

  // A new event, delivered twice before the batch is written: both in its file.
  await platform.bus.publish([
    {
      source: EVENTS.sources.live,
      detailType: 'live.ended',
      detail: { lectureId: crypto.randomUUID(), occurredAt: new Date(nowMs).toISOString() },
      time: new Date(nowMs),
    },
  ]);
  await platform.bus.settled();
  const again = platform.bus.published.at(-1)!;
  await exporter.receive(again);
  await exporter.flush();
  const { rows, keys } = await exported();
  expect(rows.filter((r) => r.id === again.id)).toHaveLength(2);
  expect(new Set(rows.map((r) => r.id)).size).toBe(new Set(before.map((r) => r.id)).size + 1);
  expect(keys).toHaveLength(3);
});
