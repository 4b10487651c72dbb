import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Identity } from '#contracts/access-token';
import { COMPLIANCE_PROFILES } from '#contracts/compliance-profiles';
import { rebuildFirstActivity } from '#service/analytics/rebuild';
import { MAX_BEAT_GAP_SECONDS, recordHeartbeat } from '#service/learning/progress';
import { exportedDetail } from '#service/learning/records';
import { closeIdleViewingRuns, startViewingRunsCloser } from '#service/learning/viewing-runs';
import { seedProvision, seedVideoCourse } from '../seed';
import { testDatabase, type TestDatabase } from '../test-database';

// Korea is UTC+9 all year: 15:00 UTC is its midnight, where the day a run counts in changes.
const kr = COMPLIANCE_PROFILES['kr-employer-training'];
const T0 = new Date('2026-12-10T00:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const MIDNIGHT = 15 * 3600;
const onServer = process.env.DATABASE_URL ? it : it.skip;

let t: TestDatabase;
let courseId: string;
let provisionId: string;
let videos: string[];

beforeAll(async () => {
  t = await testDatabase('audit_runs');
  const { institutionId, ...seeded } = await seedVideoCourse(t.db, { videos: 3, ready: true });
  ({ courseId, videoIds: videos } = seeded);
  ({ provisionId } = await seedProvision(t.db, {
    institutionId,
    courseId,
    startsOn: '2026-12-01',
    endsOn: '2027-02-28',
  }));
});
afterAll(() => t.close());

async function enrolled(): Promise<{ learner: Identity; enrollmentId: string }> {
  const learner: Identity = { sub: randomUUID(), email: undefined, roles: ['learner'] };
  const e = await t.db
    .insertInto('enrollments')
    .values({ provision_id: provisionId, course_id: courseId, user_sub: learner.sub })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { learner, enrollmentId: e.id };
}

function player(learner: Identity, enrollmentId: string, contentId = videos[0]!, sessionId = randomUUID()) {
  let sequence = 0;
  return (position: number, atSecond: number, playbackRate = 1) =>
    recordHeartbeat(
      t.db,
      learner,
      enrollmentId,
      { contentId, sessionId, sequence: ++sequence, position, playbackRate },
      kr,
      at(atSecond),
    );
}

type Run = {
  id: string;
  content_id: string | null;
  detail: Record<string, unknown>;
  at: Date;
};

/** An enrollment's credits in the trail (closed runs), by `at`, their detail as the export presents it. */
const closedRuns = async (enrollmentId: string): Promise<Run[]> =>
  (
    await t.db
      .selectFrom('learning_audit')
      .select(['id', 'content_id', 'detail', 'at'])
      .where('enrollment_id', '=', enrollmentId)
      .where('kind', '=', 'credit')
      .orderBy('at')
      .execute()
  ).map((r) => ({
    ...r,
    id: String(r.id),
    detail: exportedDetail(r.detail as Record<string, unknown>, r.at),
  }));

/** The runs still open, as learning_audit_open_runs shows them, by `at`, their detail as exported. */
const openRuns = async (enrollmentId: string): Promise<Run[]> =>
  (
    await t.db
      .selectFrom('learning_audit_open_runs')
      .select(['id', 'content_id', 'detail', 'at'])
      .where('enrollment_id', '=', enrollmentId)
      .orderBy('at')
      .execute()
  ).map((r) => ({
    ...r,
    id: String(r.id),
    detail: exportedDetail(r.detail as Record<string, unknown>, r.at),
  }));

/** Every run, closed or open, by `at` (the audit export's credits). */
const runsOf = async (enrollmentId: string): Promise<Run[]> =>
  [...(await closedRuns(enrollmentId)), ...(await openRuns(enrollmentId))].sort(
    (a, b) => a.at.getTime() - b.at.getTime(),
  );

/** A run as the trail holds it once closed: its open entry without the mark. */
const closed = ({ detail: { open, ...detail }, ...run }: Run): Run => {
  expect(open).toBe(true);
  return { ...run, detail };
};

/** One credited run: beats from `from` every 10 s to `to` (positions = seconds after `start`). */
async function watch(beat: ReturnType<typeof player>, start: number, from: number, to: number) {
  for (let s = from; s <= to; s += 10) await beat(s - start, s);
}

describe('viewing runs', () => {
  it('opens a run at the first credited beat and grows it, open and out of the trail, with every beat that continues it', async () => {
    const { learner, enrollmentId } = await enrolled();
    const beat = player(learner, enrollmentId);
    await watch(beat, 0, 0, 120);
    // A pause within the tolerated gap continues the run; the positions skipped by the pause are not covered.
    await beat(120 + MAX_BEAT_GAP_SECONDS, 120 + MAX_BEAT_GAP_SECONDS);
    expect(await closedRuns(enrollmentId)).toEqual([]);
    const [run, ...more] = await openRuns(enrollmentId);
    expect(more).toEqual([]);
    expect(run!.at).toEqual(at(10));
    expect(run!.detail).toEqual({
      seconds: 120 + MAX_BEAT_GAP_SECONDS,
      beats: 13,
      covered: [[0, 120 + MAX_BEAT_GAP_SECONDS]],
      endedAt: expect.any(String),
      day: '2026-12-10',
      sessionIds: [expect.any(String)],
      playbackRates: [1],
      open: true,
    });
    expect(new Date(run!.detail.endedAt as string)).toEqual(at(120 + MAX_BEAT_GAP_SECONDS));
  });

  it('writes a run to the trail when a beat cannot continue it: a longer gap, the day’s midnight', async () => {
    const { learner, enrollmentId } = await enrolled();
    const first = player(learner, enrollmentId);
    await watch(first, 0, 0, 60);
    const [firstRun] = await openRuns(enrollmentId);
    // A gap of more than the tolerated one: the player resumes in a new run.
    await watch(first, 1000 - 60, 1000, 1060);
    const other = player(learner, enrollmentId, videos[1]);
    await watch(other, 1070, 1070, 1100);
    // Across Korea's midnight: the second half counts in the next day.
    const late = player(learner, enrollmentId, videos[2]);
    await watch(late, MIDNIGHT - 30, MIDNIGHT - 30, MIDNIGHT + 30);
    const row = (r: Run) => [r.content_id, r.at, r.detail.seconds, r.detail.beats, r.detail.day];
    expect((await runsOf(enrollmentId)).map(row)).toEqual([
      [videos[0], at(10), 60, 6, '2026-12-10'],
      [videos[0], at(1010), 60, 6, '2026-12-10'],
      [videos[1], at(1080), 30, 3, '2026-12-10'],
      [videos[2], at(MIDNIGHT - 20), 20, 2, '2026-12-10'],
      [videos[2], at(MIDNIGHT), 40, 4, '2026-12-11'],
    ]);
    // Only the runs that a beat ended are in the trail, each as it was shown while open.
    const trail = await closedRuns(enrollmentId);
    expect(trail.map(row)).toEqual([
      [videos[0], at(10), 60, 6, '2026-12-10'],
      [videos[2], at(MIDNIGHT - 20), 20, 2, '2026-12-10'],
    ]);
    expect(trail[0]).toEqual(closed(firstRun!));
    // The resumed run covers from where the player resumed, its first (uncredited) beat.
    expect((await runsOf(enrollmentId))[1]!.detail.covered).toEqual([[60, 120]]);
  });

  it('keeps both tabs and every rate of a content in its run', async () => {
    const { learner, enrollmentId } = await enrolled();
    const a = player(learner, enrollmentId);
    const b = player(learner, enrollmentId);
    await a(0, 0);
    await b(300, 1);
    await a(10, 10);
    await b(322, 11, 2);
    await a(20, 20);
    await b(342, 21, 2);
    const [run, ...more] = await runsOf(enrollmentId);
    expect(more).toEqual([]);
    // The viewing clock credits the two tabs once: 10 s by a, then 1 s of b's, 9 s of a's, 1 s of b's.
    expect(run!.detail).toMatchObject({ seconds: 21, beats: 4, playbackRates: [1, 2] });
    expect(run!.detail.sessionIds).toHaveLength(2);
    const progress = await t.db
      .selectFrom('content_progress')
      .select(sql<string>`covered::text`.as('covered'))
      .where('enrollment_id', '=', enrollmentId)
      .executeTakeFirstOrThrow();
    expect(
      (
        await sql<{ same: boolean }>`
          select learning_audit_covered(${JSON.stringify(run!.detail)}::jsonb) = ${progress.covered}::int4multirange
            as same`.execute(t.db)
      ).rows[0]!.same,
    ).toBe(true);
  });

  it('lets a beat that lost the race for the clock join the run, and one older than the run open its own', async () => {
    const { learner, enrollmentId } = await enrolled();
    const a = player(learner, enrollmentId);
    const b = player(learner, enrollmentId);
    await a(0, 0);
    await b(100, 1);
    // a earns 2 s (the playhead moved that far): the run opens at 10, the viewing clock stands at 2.
    await a(2, 10);
    // b's beat timed at 5 arrives after it and is credited 3 s (5 - 2): timed before the run opened, it
    // writes that run to the trail and opens its own at 5.
    expect((await b(104, 5)).creditedSeconds).toBe(3);
    await a(12, 20);
    // b's beat timed at 18 arrives after a's at 20: it joins the run and leaves its end at 20.
    expect((await b(110, 18)).creditedSeconds).toBe(3);
    const [early, run] = [await closedRuns(enrollmentId), await openRuns(enrollmentId)];
    expect(early).toEqual([
      expect.objectContaining({ at: at(10), detail: expect.objectContaining({ seconds: 2, beats: 1 }) }),
    ]);
    expect(run).toEqual([
      expect.objectContaining({
        at: at(5),
        detail: expect.objectContaining({
          seconds: 16,
          beats: 3,
          covered: [
            [2, 12],
            [100, 103],
            [104, 107],
          ],
        }),
      }),
    ]);
    expect(new Date(run[0]!.detail.endedAt as string)).toEqual(at(20));
    // Ids follow the runs' opening, not their times: the export lists the first run first.
    expect(BigInt(run[0]!.id)).toBeGreaterThan(BigInt(early[0]!.id));
  });
});

describe('closing idle runs', () => {
  // The closer closes every enrollment's idle runs: those of the tests before are closed first, so that its
  // counts below are of each test's own runs.
  beforeEach(() => closeIdleViewingRuns(t.db, new Date('2100-01-01T00:00:00Z')));

  it('writes a run to the trail once idle for longer than its gap, once, under the id it was shown with', async () => {
    const { learner, enrollmentId } = await enrolled();
    await watch(player(learner, enrollmentId), 0, 0, 60);
    const [open] = await openRuns(enrollmentId);
    // At its gap's end a beat could still continue it: it stays open.
    expect(await closeIdleViewingRuns(t.db, at(60 + MAX_BEAT_GAP_SECONDS))).toBe(0);
    expect(await closedRuns(enrollmentId)).toEqual([]);
    expect(await closeIdleViewingRuns(t.db, at(61 + MAX_BEAT_GAP_SECONDS))).toBe(1);
    expect(await closeIdleViewingRuns(t.db, at(3600))).toBe(0);
    expect(await openRuns(enrollmentId)).toEqual([]);
    expect(await closedRuns(enrollmentId)).toEqual([closed(open!)]);
    const progress = await t.db
      .selectFrom('content_progress')
      .selectAll()
      .where('enrollment_id', '=', enrollmentId)
      .executeTakeFirstOrThrow();
    // Progress stays; the run's columns are cleared, and its last change is still the last credit.
    expect(progress).toMatchObject({
      covered_seconds: 60,
      run_id: null,
      run_seconds: null,
      updated_at: at(60),
    });
    // The player comes back: a new run, the closed one untouched.
    const again = player(learner, enrollmentId);
    await watch(again, 4000 - 60, 4000, 4020);
    expect((await runsOf(enrollmentId)).map((r) => [r.at, r.detail.seconds, r.detail.open])).toEqual([
      [at(10), 60, undefined],
      [at(4010), 20, true],
    ]);
  });

  // Two connections: PGlite has one.
  onServer('skips a run whose row a beat holds, and closes it once that beat is done', async () => {
    const { learner, enrollmentId } = await enrolled();
    await watch(player(learner, enrollmentId), 0, 0, 30);
    const [open] = await openRuns(enrollmentId);
    await t.db.transaction().execute(async (trx) => {
      await trx
        .selectFrom('content_progress')
        .select('run_id')
        .where('enrollment_id', '=', enrollmentId)
        .forUpdate()
        .execute();
      // Another connection: the closer does not wait for the row, it leaves it for the next pass.
      expect(await closeIdleViewingRuns(t.db, at(3600))).toBe(0);
    });
    expect(await closeIdleViewingRuns(t.db, at(3600))).toBe(1);
    expect(await closedRuns(enrollmentId)).toEqual([closed(open!)]);
  });

  it('loses no second when beats and closers race', async () => {
    const learners = await Promise.all(Array.from({ length: 6 }, () => enrolled()));
    // Each learner watches in bursts with pauses longer than the gap, while closers run at the beats' times.
    await Promise.all([
      ...learners.map(async ({ learner, enrollmentId }) => {
        const beat = player(learner, enrollmentId, videos[1]);
        for (let burst = 0; burst < 4; burst++) {
          const start = 10_000 + burst * 200;
          await watch(beat, start - burst * 30, start, start + 30);
        }
      }),
      ...Array.from({ length: 8 }, (_, i) => closeIdleViewingRuns(t.db, at(10_000 + i * 100))),
    ]);
    await closeIdleViewingRuns(t.db, at(20_000));
    for (const { enrollmentId } of learners) {
      const runs = await closedRuns(enrollmentId);
      expect(await openRuns(enrollmentId)).toEqual([]);
      // A closer whose clock ran ahead of a burst may have split it; the seconds and positions are all there.
      expect(runs.length).toBeGreaterThanOrEqual(4);
      expect(runs.reduce((sum, r) => sum + (r.detail.seconds as number), 0)).toBe(120);
      const { rows } = await sql<{ same: boolean }>`
        select (select range_agg(r) from learning_audit a, unnest(learning_audit_covered(a.detail)) r
                where a.enrollment_id = p.enrollment_id and a.kind = 'credit') = p.covered as same
        from content_progress p where p.enrollment_id = ${enrollmentId}::uuid`.execute(t.db);
      expect(rows).toEqual([{ same: true }]);
    }
  });

  it('counts an open first run in the enrollment’s first activity, kept and rebuilt', async () => {
    const { learner, enrollmentId } = await enrolled();
    await watch(player(learner, enrollmentId, videos[2]), 0, 0, 40);
    const { rows } = await sql<{ kept: Date; recomputed: Date }>`
      select first_activity_at as kept, enrollment_first_activity(id) as recomputed
      from enrollments where id = ${enrollmentId}::uuid`.execute(t.db);
    expect(rows).toEqual([{ kept: at(10), recomputed: at(10) }]);
    // The rebuild's set-wise recomputation agrees too, for every enrollment (this one's run still open).
    expect(await rebuildFirstActivity(t.db)).toBe(0);
  });

  it('closes idle runs from the service’s worker, at its start', async () => {
    const { learner, enrollmentId } = await enrolled();
    await watch(player(learner, enrollmentId), 0, 0, 20);
    const warnings: unknown[] = [];
    const worker = startViewingRunsCloser({
      db: t.db,
      clock: () => at(3600),
      log: { warn: (message, fields) => warnings.push({ message, fields }) },
    });
    // The first pass starts at once; stop() waits for it to finish.
    await worker.stop();
    expect(warnings).toEqual([]);
    expect(await openRuns(enrollmentId)).toEqual([]);
    expect((await closedRuns(enrollmentId)).map((r) => r.detail.seconds)).toEqual([20]);
  });

  it('keeps the trail append-only: no update path is left, for a run or anything else', async () => {
    const { learner, enrollmentId } = await enrolled();
    await watch(player(learner, enrollmentId), 0, 0, 20);
    await closeIdleViewingRuns(t.db, at(3600));
    const [run] = await closedRuns(enrollmentId);
    await expect(
      sql`update learning_audit set detail = detail || '{"seconds": 30}' where id = ${run!.id}`.execute(t.db),
    ).rejects.toThrow(/append-only/);
    await expect(sql`delete from learning_audit where id = ${run!.id}`.execute(t.db)).rejects.toThrow(
      /append-only/,
    );
    // The trail's definer functions: making months, and dropping a whole closed month once it is archived
    // and checked (migration 0019; its refusals are in audit-archive.int.test.ts). Nothing that touches a row.
    const { rows } = await sql<{ name: string }>`
      select proname as name from pg_proc
      where prosecdef and proname like 'learning_audit%' order by proname`.execute(t.db);
    expect(rows.map((r) => r.name)).toEqual([
      'learning_audit_add_partitions',
      'learning_audit_archive_month',
    ]);
  });
});
