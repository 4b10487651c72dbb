import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Identity } from '#contracts/access-token';
import { COMPLIANCE_PROFILES, type ComplianceProfile } from '#contracts/compliance-profiles';
import { HttpError } from '#contracts/problem';
import { insertRecording } from '#service/courses/curriculum';
import { dayIn } from '#service/learning/days';
import { type Heartbeat, recordHeartbeat } from '#service/learning/progress';
import { exportedDetail } from '#service/learning/records';
import { seedProvision, seedVideoCourse } from '../seed';
import { testDatabase, type TestDatabase } from '../test-database';

const standard = COMPLIANCE_PROFILES.standard;
const kr = COMPLIANCE_PROFILES['kr-employer-training'];
let t: TestDatabase;
let courseId: string;
let provisionId: string;
/** Ten ready videos of 600 s. */
let videos: string[];
// 2026-12-10 09:00 in Korea.
const T0 = new Date('2026-12-10T00:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);

async function enrolledLearner(): Promise<{ learner: Identity; enrollmentId: string }> {
  const learner: Identity = { sub: randomUUID(), email: undefined, roles: ['learner'] };
  const e = await t.db
    .insertInto('enrollments')
    .values({ provision_id: provisionId, course_id: courseId, user_sub: learner.sub })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { learner, enrollmentId: e.id };
}

/** A player: one tab's beats, numbered in order. */
function player(
  learner: Identity,
  enrollmentId: string,
  contentId = videos[0]!,
  profile: ComplianceProfile = standard,
) {
  const sessionId = randomUUID();
  let sequence = 0;
  return (position: number, atSecond: number, playbackRate = 1) =>
    recordHeartbeat(
      t.db,
      learner,
      enrollmentId,
      { contentId, sessionId, sequence: ++sequence, position, playbackRate },
      profile,
      at(atSecond),
    );
}

const covered = async (enrollmentId: string, contentId = videos[0]!) =>
  (
    await t.db
      .selectFrom('content_progress')
      .select(['covered_seconds', 'completed_at'])
      .where('enrollment_id', '=', enrollmentId)
      .where('content_id', '=', contentId)
      .executeTakeFirst()
  )?.covered_seconds ?? 0;

beforeAll(async () => {
  t = await testDatabase('progress');
  const { institutionId, ...seeded } = await seedVideoCourse(t.db, { videos: 10, ready: true });
  ({ courseId, videoIds: videos } = seeded);
  ({ provisionId } = await seedProvision(t.db, {
    institutionId,
    courseId,
    startsOn: '2026-12-01',
    endsOn: '2027-02-28',
  }));
});
afterAll(() => t.close());

describe('progress engine', () => {
  it('credits real elapsed time at 1x and completes the content at 80% of its length', async () => {
    const { learner, enrollmentId } = await enrolledLearner();
    const beat = player(learner, enrollmentId);
    expect((await beat(0, 0)).creditedSeconds).toBe(0);
    let last;
    for (let s = 10; s <= 480; s += 10) last = await beat(s, s);
    expect(last).toEqual({
      creditedSeconds: 10,
      coveredSeconds: 480,
      durationSeconds: 600,
      completed: true,
      gate: null,
    });
    const entries = await t.db
      .selectFrom('learning_audit')
      .select(['id', 'kind', 'detail', 'at'])
      .where('enrollment_id', '=', enrollmentId)
      .unionAll(
        t.db
          .selectFrom('learning_audit_open_runs')
          .select(['id', 'kind', 'detail', 'at'])
          .where('enrollment_id', '=', enrollmentId),
      )
      .orderBy(sql`id::bigint`)
      .execute()
      .then((rows) =>
        rows.map((e) => ({ ...e, detail: exportedDetail(e.detail as Record<string, unknown>, e.at) })),
      );
    // One viewing run from its first credited beat to its last, not one row a beat; still open (not in the
    // trail yet), under the id that orders it before the completion it earned.
    expect(entries.filter((e) => e.kind === 'credit')).toEqual([
      {
        id: expect.anything(),
        kind: 'credit',
        at: at(10),
        detail: expect.objectContaining({ seconds: 480, beats: 48, covered: [[0, 480]], open: true }),
      },
    ]);
    expect(new Date(entries[0]!.detail.endedAt as string)).toEqual(at(480));
    expect(entries.at(-1)!.kind).toBe('completion');
  });

  it('gives a learner who seeks to the end only the seconds really played after the seek', async () => {
    const { learner, enrollmentId } = await enrolledLearner();
    const beat = player(learner, enrollmentId);
    await beat(0, 0);
    expect((await beat(595, 10)).creditedSeconds).toBe(0);
    expect((await beat(600, 15)).creditedSeconds).toBe(5);
    expect(await covered(enrollmentId)).toBe(5);
  });

  it('credits half of what a 2x player covers', async () => {
    const { learner, enrollmentId } = await enrolledLearner();
    const beat = player(learner, enrollmentId);
    await beat(0, 0, 2);
    for (let s = 10; s <= 100; s += 10) expect((await beat(2 * s, s, 2)).creditedSeconds).toBe(10);
    expect(await covered(enrollmentId)).toBe(100);
  });

  it('credits two tabs playing at once as one', async () => {
    const { learner, enrollmentId } = await enrolledLearner();
    const a = player(learner, enrollmentId, videos[0]);
    const b = player(learner, enrollmentId, videos[1]);
    await a(0, 0);
    await b(0, 0);
    let credited = 0;
    for (let s = 10; s <= 120; s += 10) {
      credited += (await a(s, s)).creditedSeconds;
      credited += (await b(s, s + 1)).creditedSeconds;
    }
    expect(credited).toBeLessThanOrEqual(121);
    expect((await covered(enrollmentId, videos[0])) + (await covered(enrollmentId, videos[1]))).toBe(
      credited,
    );
  });

  it('never lowers progress: seeking back and replaying covered seconds earns nothing new', async () => {
    const { learner, enrollmentId } = await enrolledLearner();
    const beat = player(learner, enrollmentId);
    await beat(0, 0);
    await beat(60, 60);
    expect((await beat(0, 70)).creditedSeconds).toBe(0);
    const replay = await beat(30, 100);
    expect(replay.creditedSeconds).toBe(30);
    expect(replay.coveredSeconds).toBe(60);
  });

  it('leaves progress at the largest valid of 100 concurrent beats, whatever their order', async () => {
    const { learner, enrollmentId } = await enrolledLearner();
    const sessionId = randomUUID();
    const beat = (b: Partial<Heartbeat>, s: number) =>
      recordHeartbeat(
        t.db,
        learner,
        enrollmentId,
        { contentId: videos[0]!, sessionId, sequence: 0, position: 0, playbackRate: 1, ...b },
        standard,
        at(s),
      );
    await beat({}, 0);
    // 90 beats of the tab (position rising with sequence, all plausible at 30 s), 10 forged tabs at the end.
    const results = await Promise.all([
      ...Array.from({ length: 90 }, (_, i) => beat({ sequence: i + 1, position: (i + 1) * 0.3 }, 30)),
      ...Array.from({ length: 10 }, () => beat({ sessionId: randomUUID(), sequence: 1, position: 590 }, 30)),
    ]);
    expect(await covered(enrollmentId)).toBe(27);
    expect(results.reduce((sum, r) => sum + r.creditedSeconds, 0)).toBe(27);
  });

  it('ignores a beat older than the tab’s last', async () => {
    const { learner, enrollmentId } = await enrolledLearner();
    const sessionId = randomUUID();
    const beat = (sequence: number, position: number, s: number) =>
      recordHeartbeat(
        t.db,
        learner,
        enrollmentId,
        { contentId: videos[0]!, sessionId, sequence, position, playbackRate: 1 },
        standard,
        at(s),
      );
    await beat(1, 0, 0);
    await beat(3, 20, 20);
    expect(await beat(2, 10, 21)).toMatchObject({ creditedSeconds: 0, coveredSeconds: 20 });
  });

  it('answers 404 for another learner’s enrollment and 409 for a content that is not a ready video', async () => {
    const { enrollmentId } = await enrolledLearner();
    const stranger: Identity = { sub: randomUUID(), email: undefined, roles: ['learner'] };
    const call = (who: Identity, contentId: string) =>
      recordHeartbeat(
        t.db,
        who,
        enrollmentId,
        { contentId, sessionId: 's', sequence: 1, position: 0, playbackRate: 1 },
        standard,
        at(0),
      ).catch((e: HttpError) => e.status);
    expect(await call(stranger, videos[0]!)).toBe(404);
    expect(await call(stranger, randomUUID())).toBe(404);
    await t.db.updateTable('contents').set({ media_state: 'pending' }).where('id', '=', videos[9]!).execute();
    const { learner } = await t.db
      .selectFrom('enrollments')
      .select('user_sub as learner')
      .where('id', '=', enrollmentId)
      .executeTakeFirstOrThrow();
    expect(await call({ sub: learner, email: undefined, roles: ['learner'] }, videos[9]!)).toBe(409);
    await t.db.updateTable('contents').set({ media_state: 'ready' }).where('id', '=', videos[9]!).execute();
  });

  it('keeps the audit trail append-only', async () => {
    await expect(sql`update learning_audit set kind = 'grade'`.execute(t.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from learning_audit`.execute(t.db)).rejects.toThrow(/append-only/);
  });
});

describe('kr-employer-training', () => {
  // Korea is UTC+9 all year: 15:00 UTC is midnight there.
  const midnight = (new Date('2026-12-10T15:00:00Z').getTime() - T0.getTime()) / 1000;

  it('credits at most 8 lessons a day by Korea time, and more again after its midnight', async () => {
    const { learner, enrollmentId } = await enrolledLearner();
    const results = [];
    for (const [i, video] of videos.slice(0, 9).entries()) {
      const beat = player(learner, enrollmentId, video, kr);
      await beat(0, midnight - 400 + i * 20);
      results.push(await beat(9, midnight - 391 + i * 20));
    }
    expect(results.map((r) => r.creditedSeconds)).toEqual([9, 9, 9, 9, 9, 9, 9, 9, 0]);
    expect(results[8]!.gate).toBe('daily-lesson-cap');
    // A lesson already counted today keeps earning.
    const first = player(learner, enrollmentId, videos[0], kr);
    await first(9, midnight - 20);
    expect((await first(18, midnight - 11)).creditedSeconds).toBe(9);
    // The ninth lesson: refused at 23:59:59 Korea time, credited from 00:00.
    const ninth = player(learner, enrollmentId, videos[8], kr);
    await ninth(0, midnight - 10);
    expect(dayIn(at(midnight - 1), kr.timeZone)).toBe('2026-12-10');
    // The player is told which cap, and by which day's midnight, to say when credit resumes.
    expect(await ninth(9, midnight - 1)).toMatchObject({
      creditedSeconds: 0,
      gate: 'daily-lesson-cap',
      dailyLessonCap: { lessons: 8, timeZone: 'Asia/Seoul' },
    });
    expect(dayIn(at(midnight), kr.timeZone)).toBe('2026-12-11');
    const credited = await ninth(10, midnight);
    expect(credited).toMatchObject({ creditedSeconds: 1, gate: null });
    expect(credited).not.toHaveProperty('dailyLessonCap');
    const gates = await t.db
      .selectFrom('learning_audit')
      .select('detail')
      .where('enrollment_id', '=', enrollmentId)
      .where('kind', '=', 'gate')
      .execute();
    expect(gates).toHaveLength(2);
  });

  it('takes no lesson of the day for a live lecture’s recording, which is credited past the cap', async () => {
    const { learner, enrollmentId } = await enrolledLearner();
    for (const [i, video] of videos.slice(0, 8).entries()) {
      const beat = player(learner, enrollmentId, video, kr);
      await beat(0, i * 20);
      expect((await beat(9, 9 + i * 20)).creditedSeconds).toBe(9);
    }
    const recording = randomUUID();
    await t.db.transaction().execute((trx) =>
      insertRecording(trx, courseId, {
        lectureId: recording,
        provisionId,
        title: 'Forklift inspection, live (recording)',
        durationSeconds: 3600,
        playbackPath: `hls/${recording}/index.m3u8`,
        occurredAt: at(0),
      }),
    );
    const watch = player(learner, enrollmentId, recording, kr);
    await watch(0, 200);
    expect(await watch(9, 209)).toMatchObject({ creditedSeconds: 9, gate: null });
    // The day's lessons are still the eight; a ninth lesson is still refused.
    const lessons = await t.db
      .selectFrom('daily_lessons')
      .select('content_id')
      .where('enrollment_id', '=', enrollmentId)
      .execute();
    expect(lessons.map((l) => l.content_id).sort()).toEqual(videos.slice(0, 8).sort());
    const ninth = player(learner, enrollmentId, videos[8], kr);
    await ninth(0, 220);
    expect(await ninth(9, 229)).toMatchObject({ creditedSeconds: 0, gate: 'daily-lesson-cap' });
  });

  it('credits nothing outside the provision period, whose days begin at midnight Korea time', async () => {
    const { learner, enrollmentId } = await enrolledLearner();
    // 2026-12-01 00:00 Korea time is 2026-11-30 15:00 UTC.
    const start = (new Date('2026-11-30T15:00:00Z').getTime() - T0.getTime()) / 1000;
    const beat = player(learner, enrollmentId, videos[0], kr);
    expect((await beat(0, start - 20)).gate).toBe('outside-period');
    expect((await beat(10, start - 10)).gate).toBe('outside-period');
    await beat(10, start);
    expect(await beat(20, start + 10)).toMatchObject({ creditedSeconds: 10, gate: null });
    // The standard profile counts days in UTC: the same instant is still 30 November there.
    const utc = player(learner, enrollmentId, videos[1], standard);
    expect((await utc(0, start)).gate).toBe('outside-period');
  });
});
