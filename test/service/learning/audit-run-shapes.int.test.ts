import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { Identity } from '#contracts/access-token';
import { COMPLIANCE_PROFILES } from '#contracts/compliance-profiles';
import { MIGRATIONS_DIR, migrateToLatest } from '#service/db/migrate';
import { recordHeartbeat } from '#service/learning/progress';
import { learnerAudit } from '#service/learning/records';
import { closeIdleViewingRuns } from '#service/learning/viewing-runs';
import { platformAdmin, seedProvision, seedVideoCourse } from '../seed';
import { testDatabase, type TestDatabase } from '../test-database';

/*
 * A viewing run written in migration 0020's dense shape exports exactly as one written in 0017's: two
 * learners watch alike, one while the database has 0017's writer, the other once it is migrated; the trail
 * then holds each learner's runs in its own shape (append-only: the first learner's stay as written), and
 * the audit export must give both the same entries, to the key order of the JSON: seconds, beats, positions,
 * end, day, sessions and rates.
 */

// Korea's midnight (15:00 UTC) falls in the first lesson, so a run counts in the day after `at`'s UTC date.
const kr = COMPLIANCE_PROFILES['kr-employer-training'];
const T0 = Date.parse('2026-12-10T14:58:00Z');
const TAB_A = '0f8fad5b-d9cb-469f-a165-70867728950e';
const TAB_B = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const admin = platformAdmin('shapes-admin');

/** [content, tab, position, seconds after T0 (to the millisecond), playback rate] */
type Beat = [number, string, number, number, number];
const script: Beat[] = [
  // Through midnight at 1x, a beat every 10.125 s: a run ends at 120 s, the next counts in the next day.
  ...Array.from({ length: 21 }, (_, i): Beat => [0, TAB_A, i * 10, i * 10.125, 1]),
  // Past the gap, another lesson at 1.5x.
  ...Array.from({ length: 7 }, (_, i): Beat => [1, TAB_B, i * 15, 400 + i * 10.5, 1.5]),
  // Two tabs in one lesson, one of them at 2x.
  [2, TAB_A, 0, 600, 1],
  [2, TAB_B, 300, 601, 1],
  [2, TAB_A, 10, 610.5, 1],
  [2, TAB_B, 322, 611, 2],
  [2, TAB_A, 20, 620.25, 1],
  [2, TAB_B, 342, 621, 2],
];

let t: TestDatabase;
let migrationsDir: string;
let provisionId: string;
let courseId: string;
let videos: string[];

beforeAll(async () => {
  migrationsDir = await mkdtemp(join(tmpdir(), 'migrations-0017-'));
  for (const file of await readdir(MIGRATIONS_DIR)) {
    if (file.endsWith('.sql') && file <= '0017_audit_viewing_runs.sql')
      await copyFile(join(MIGRATIONS_DIR, file), join(migrationsDir, file));
  }
  t = await testDatabase('audit_run_shapes', { migrate: false });
  await migrateToLatest(t.db, migrationsDir);
  const { institutionId, ...seeded } = await seedVideoCourse(t.db, { videos: 3, ready: true });
  ({ courseId, videoIds: videos } = seeded);
  ({ provisionId } = await seedProvision(t.db, {
    institutionId,
    courseId,
    startsOn: '2026-12-01',
    endsOn: '2027-02-28',
  }));
  // Embedded PostgreSQL (no DATABASE_URL) applies the migrations in seconds each on a busy machine.
}, 120_000);
afterAll(async () => {
  await t?.close();
  await rm(migrationsDir, { recursive: true, force: true });
});

async function watch(sub: string): Promise<string> {
  const { id: enrollmentId } = await t.db
    .insertInto('enrollments')
    .values({ provision_id: provisionId, course_id: courseId, user_sub: sub })
    .returning('id')
    .executeTakeFirstOrThrow();
  const learner: Identity = { sub, email: undefined, roles: ['learner'] };
  let sequence = 0;
  for (const [content, sessionId, position, seconds, playbackRate] of script) {
    await recordHeartbeat(
      t.db,
      learner,
      enrollmentId,
      { contentId: videos[content]!, sessionId, sequence: ++sequence, position, playbackRate },
      kr,
      new Date(T0 + seconds * 1000),
    );
  }
  await closeIdleViewingRuns(t.db, new Date(T0 + 3600_000));
  return enrollmentId;
}

/** The export's credits, without their ids (each learner's runs have their own). */
async function exportedCredits(enrollmentId: string) {
  const { entries } = await learnerAudit(t.db, admin, provisionId, enrollmentId);
  return entries
    .filter((e) => e.kind === 'credit')
    .map(({ contentId, detail, at }) => ({ contentId, detail, at }));
}

const trail = async (enrollmentId: string) =>
  (
    await sql<{ detail: Record<string, unknown>; bytes: number }>`
      select detail, pg_column_size(detail) as bytes from learning_audit
      where enrollment_id = ${enrollmentId}::uuid and kind = 'credit' order by id`.execute(t.db)
  ).rows;

it('exports a run written in 0020’s shape exactly as one written in 0017’s', async () => {
  const before = await watch('shapes-learner-0017');
  await migrateToLatest(t.db);
  const after = await watch('shapes-learner-0020');

  // Each learner's runs as written: 0017's shape before the migration, 0020's after, in fewer bytes.
  const [old, dense] = [await trail(before), await trail(after)];
  expect(old.map((r) => 'covered' in r.detail)).toEqual([true, true, true, true]);
  expect(dense.map((r) => 'c' in r.detail)).toEqual([true, true, true, true]);
  const bytes = (rows: typeof old) => rows.reduce((sum, r) => sum + r.bytes, 0);
  expect(bytes(dense)).toBeLessThan(bytes(old) * 0.6);

  const [a, b] = [await exportedCredits(before), await exportedCredits(after)];
  expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  // What both say: the seconds, positions, end, day, tabs and rates of each run.
  expect(b.map((e) => e.detail)).toEqual([
    {
      day: '2026-12-10',
      beats: 11,
      covered: [[0, 110]],
      endedAt: '2026-12-10T14:59:51.375+00:00',
      seconds: 110,
      sessionIds: [TAB_A],
      playbackRates: [1],
    },
    {
      day: '2026-12-11',
      beats: 9,
      covered: [[110, 200]],
      endedAt: '2026-12-10T15:01:22.5+00:00',
      seconds: 90,
      sessionIds: [TAB_A],
      playbackRates: [1],
    },
    {
      // 10.5 s between beats, 15 s of the lesson: 10 or 11 s credited each, from where the beat before was.
      day: '2026-12-11',
      beats: 6,
      covered: [
        [0, 10],
        [15, 26],
        [30, 40],
        [45, 56],
        [60, 70],
        [75, 86],
      ],
      endedAt: '2026-12-10T15:05:43+00:00',
      seconds: 63,
      sessionIds: [TAB_B],
      playbackRates: [1.5],
    },
    {
      // The viewing clock credits the two tabs once: 10 s of A's, 1 s of B's, 9 s of A's, 1 s of B's.
      day: '2026-12-11',
      beats: 4,
      covered: [
        [0, 19],
        [300, 301],
        [322, 323],
      ],
      endedAt: '2026-12-10T15:08:21+00:00',
      seconds: 21,
      sessionIds: [TAB_A, TAB_B],
      playbackRates: [1, 2],
    },
  ]);
  expect(b.map((e) => e.at)).toEqual([
    new Date(T0 + 10_125),
    new Date(T0 + 121_500),
    new Date(T0 + 410_500),
    new Date(T0 + 610_500),
  ]);
});
