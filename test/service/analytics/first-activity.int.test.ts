import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Identity } from '#contracts/access-token';
import { COMPLIANCE_PROFILES } from '#contracts/compliance-profiles';
import type { LiveEnded } from '#contracts/live';
import { completion } from '#service/analytics/analytics';
import { rebuildAnalytics, rebuildFirstActivity } from '#service/analytics/rebuild';
import type { Database } from '#service/db/schema';
import { createExam } from '#service/exams/exams';
import { startSitting } from '#service/exams/sittings';
import { type Caller, loadCaller } from '#service/http/identity';
import { applyLiveEnded } from '#service/learning/live-attendance';
import { recordHeartbeat } from '#service/learning/progress';
import { seedProvision, seedVideoCourse } from '../seed';
import { appConnection } from '../service-fixture';
import { testDatabase, type TestDatabase } from '../test-database';
import { seededRandom } from '../seeded-random';

/*
 * enrollments.first_activity_at stands for "took part at all": credited watching, an exam sitting, or
 * presence at a live lecture. Completion analytics read it instead of probing the three facts, so it must
 * agree with them for every enrollment, whatever wrote the facts in whatever order: here random histories
 * are written through the service's own functions (heartbeats, exam starts, live lecture reports), some of
 * one enrollment at once, with beats and reports delivered again, and the column is compared with the
 * probes and with its definition from the facts, then rebuilt from the facts to the same values.
 */

const standard = COMPLIANCE_PROFILES.standard;
let t: TestDatabase;
/** The service's own least-privileged role (on PostgreSQL), as deployed: it writes the facts and the column. */
let app: Kysely<Database>;
let institutionId: string;
let courseId: string;
let provisionId: string;
let videos: string[];
let exams: string[];
let manager: Caller;
// 2026-12-10 09:00 in Korea; the provision runs through December.
const T0 = new Date('2026-12-10T00:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const lectures = [randomUUID(), randomUUID(), randomUUID()];
/** Every report is newer than the last, so each one applies. */
let reported = 0;

beforeAll(async () => {
  t = await testDatabase('first_activity');
  app = await appConnection(t);
  const seeded = await seedVideoCourse(t.db, { videos: 3, ready: true });
  ({ institutionId, courseId, videoIds: videos } = seeded);
  ({ provisionId } = await seedProvision(t.db, {
    institutionId,
    courseId,
    startsOn: '2026-12-01',
    endsOn: '2026-12-31',
  }));
  await t.db
    .insertInto('institution_members')
    .values({ institution_id: institutionId, user_sub: 'manager', role: 'institution-manager' })
    .execute();
  manager = await loadCaller(t.db, {
    sub: 'manager',
    email: 'manager@example.com',
    roles: ['institution-manager'],
  });
  const chapterId = (
    await t.db.selectFrom('chapters').select('id').where('course_id', '=', courseId).executeTakeFirstOrThrow()
  ).id;
  exams = [];
  for (const stage of ['mid', 'final'] as const)
    exams.push(
      (
        await createExam(t.db, manager, courseId, {
          chapterId,
          title: `${stage} exam`,
          stage,
          weight: 50,
          questions: [
            { kind: 'choice', prompt: 'Which knot?', choices: ['Bowline', 'Granny'], answer: 0, points: 10 },
          ],
        })
      ).id,
    );
});
afterAll(async () => {
  if (app !== t.db) await app.destroy();
  await t.close();
});

async function enroll(): Promise<{ who: Identity; enrollmentId: string }> {
  const who: Identity = { sub: randomUUID(), email: undefined, roles: ['learner'] };
  const { id } = await t.db
    .insertInto('enrollments')
    .values({ provision_id: provisionId, course_id: courseId, user_sub: who.sub })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { who, enrollmentId: id };
}

/** One tab watching `seconds` from `position` starting at `start`; `again` delivers its last beat twice. */
async function watch(
  who: Identity,
  enrollmentId: string,
  content: string,
  position: number,
  seconds: number,
  start: number,
  again: boolean,
) {
  const sessionId = randomUUID();
  const beat = (sequence: number, p: number, s: number) =>
    recordHeartbeat(
      app,
      who,
      enrollmentId,
      { contentId: content, sessionId, sequence, position: p, playbackRate: 1 },
      standard,
      at(s),
    );
  await beat(1, position, start);
  await beat(2, position + seconds, start + seconds);
  if (again) await beat(2, position + seconds, start + seconds);
}

const report = (lectureId: string, attendees: LiveEnded['attendees']): LiveEnded => {
  reported += 1;
  return {
    lectureId,
    provisionId,
    courseId,
    institutionId,
    title: 'Lecture',
    occurredAt: at(86_400 * 10 + reported).toISOString(),
    startedAt: '2026-12-12T01:00:00.000Z',
    endedAt: '2026-12-12T02:00:00.000Z',
    quizzesSent: 0,
    part: 1,
    parts: 1,
    attendees,
  };
};

/** A report of one attendee of a lecture; `again` delivers the same event twice and then republishes it. */
async function attend(
  who: Identity,
  enrollmentId: string,
  lectureId: string,
  presenceSeconds: number,
  joined: number,
  again: boolean,
) {
  const body = report(lectureId, [
    {
      userSub: who.sub,
      enrollmentId,
      joinedAt: at(joined).toISOString(),
      presenceSeconds,
      attendanceRate: presenceSeconds / 3600,
      quizzesAnswered: 0,
      quizzesCorrect: 0,
    },
  ]);
  const eventId = randomUUID();
  await applyLiveEnded(app, eventId, body);
  if (again) {
    expect(await applyLiveEnded(app, eventId, body)).toEqual({ outcome: 'duplicate' });
    await applyLiveEnded(app, randomUUID(), body);
  }
}

/** Each enrollment's kept time beside the three probes and the definition from the facts. */
async function agreement() {
  const { rows } = await sql<{ id: string; kept: Date | null; defined: Date | null; probed: boolean }>`
    select e.id, e.first_activity_at as kept, enrollment_first_activity(e.id) as defined,
      exists (select from content_progress p where p.enrollment_id = e.id and p.covered_seconds > 0)
      or exists (select from exam_attempts a where a.enrollment_id = e.id)
      or exists (select from live_attendance la where la.enrollment_id = e.id and la.presence_seconds > 0)
        as probed
    from enrollments e order by e.id`.execute(t.db);
  return rows;
}

const ms = (d: Date | null) => d?.getTime() ?? null;

describe('first activity kept with the facts', () => {
  it('moves with each fact: earlier facts move it back, repeats change nothing, a lowered presence recomputes', async () => {
    const { who, enrollmentId } = await enroll();
    const kept = async () =>
      ms(
        (
          await t.db
            .selectFrom('enrollments')
            .select('first_activity_at')
            .where('id', '=', enrollmentId)
            .executeTakeFirstOrThrow()
        ).first_activity_at,
      );
    // A beat that credits nothing (the playhead did not move) is no participation.
    await watch(who, enrollmentId, videos[0]!, 0, 0, 3_600, false);
    expect(await kept()).toBeNull();
    await attend(who, enrollmentId, lectures[0]!, 1_200, 7_200, true);
    expect(await kept()).toBe(at(7_200).getTime());
    // The same lecture reported again, newer, with no presence: no fact is left.
    await attend(who, enrollmentId, lectures[0]!, 0, 7_200, false);
    expect(await kept()).toBeNull();
    await startSitting(app, who, enrollmentId, exams[0]!, standard, at(5_000));
    expect(await kept()).toBe(at(5_000).getTime());
    // Resuming the open sitting later is not a new sitting.
    await startSitting(app, who, enrollmentId, exams[0]!, standard, at(6_000));
    expect(await kept()).toBe(at(5_000).getTime());
    // Watching credited at 4 000 s (the second beat's time) is earlier still.
    await watch(who, enrollmentId, videos[1]!, 0, 30, 3_970, true);
    expect(await kept()).toBe(at(4_000).getTime());
    await attend(who, enrollmentId, lectures[1]!, 600, 9_000, true);
    expect(await kept()).toBe(at(4_000).getTime());
  });

  it.each([11, 12, 13])(
    'agrees with the three probes after random history %i, and rebuilds to itself',
    async (seed) => {
      const next = seededRandom(seed);
      const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
      for (let i = 0; i < 16; i++) {
        const { who, enrollmentId } = await enroll();
        const actions = Array.from({ length: Math.floor(next() * 5) }, () => {
          const kind = pick(['watch', 'exam', 'live'] as const);
          const when = Math.floor(next() * 86_400 * 5);
          const again = next() < 0.3;
          if (kind === 'watch') {
            const content = pick(videos);
            const position = Math.floor(next() * 500);
            const seconds = pick([0, 0, 5, 40]);
            return () => watch(who, enrollmentId, content, position, seconds, when, again);
          }
          if (kind === 'exam') {
            const exam = pick(exams);
            return () => startSitting(app, who, enrollmentId, exam, standard, at(when));
          }
          const lecture = pick(lectures);
          const presence = pick([0, 0, 900]);
          return () => attend(who, enrollmentId, lecture, presence, when, again);
        });
        // One enrollment in three has its facts written all at once: tabs, a sitting and reports racing.
        if (i % 3 === 0) await Promise.all(actions.map((act) => act()));
        else for (const act of actions) await act();
      }

      const rows = await agreement();
      expect(rows.map((r) => [r.id, ms(r.kept)])).toEqual(rows.map((r) => [r.id, ms(r.defined)]));
      expect(rows.map((r) => [r.id, r.kept !== null])).toEqual(rows.map((r) => [r.id, r.probed]));
      const attended = rows.filter((r) => r.probed).length;
      // A history where everyone or no one took part would prove little.
      expect(attended).toBeGreaterThan(0);
      expect(attended).toBeLessThan(rows.length);

      const {
        rows: [answer],
      } = await completion(app, manager, institutionId, { limit: 50 });
      expect(answer).toMatchObject({ enrolled: rows.length, attended });

      expect(await rebuildFirstActivity(app)).toBe(0);
      await t.db.updateTable('enrollments').set({ first_activity_at: null }).execute();
      expect(await rebuildFirstActivity(app)).toBe(attended);
      const rebuilt = await agreement();
      expect(rebuilt.map((r) => [r.id, ms(r.kept)])).toEqual(rows.map((r) => [r.id, ms(r.kept)]));
      // The counts the completion route reads followed every fact, redelivered reports and races included.
      const { firstActivityChanged, aggregates } = await rebuildAnalytics(app);
      expect(firstActivityChanged).toBe(0);
      expect(aggregates.filter((a) => a.changed !== 0)).toEqual([]);
      expect(aggregates.find((a) => a.aggregate === 'company_course_counts')).toMatchObject({ rows: 1 });
    },
  );
});
