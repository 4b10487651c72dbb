import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { COMPLIANCE_PROFILES } from '#contracts/compliance-profiles';
import type { LiveEnded } from '#contracts/live';
import { rebuildAnalytics } from '#service/analytics/rebuild';
import { alignAnalyticsTimeZone } from '#service/analytics/time-zone';
import { applyLiveEnded } from '#service/learning/live-attendance';
import { LIVE_LECTURES_DUE } from '#service/learning/records';
import { seedCompany, seedInstitution } from '../seed';
import { serviceFixture, type Person, type ServiceFixture } from '../service-fixture';
import { expectStatus } from '../world';
import { seededRandom } from '../seeded-random';

/*
 * The analytics routes read counts kept by triggers as the facts happen (migrations/0016, 0018). Here random
 * histories are written the way the service writes them and then some: enrollments in bulk and one at a
 * time, the same learner enrolled in several provisions at once from concurrent connections, provisions
 * accepted, rejected and moved in time while learners enroll in them, enrollments withdrawn, taking part and
 * completing, ratings given and changed, bulk enrollments sent again (a retried request: nothing new), and
 * live lectures' end reports (some lectures ending again later, some reports delivered twice) with learners
 * enrolling before and after each lecture ended.
 * Then the counts must be what a recount from the facts gives (rebuild_analytics changes nothing), and each
 * route must answer as its query over the facts did.
 */

const PROFILE = COMPLIANCE_PROFILES['kr-employer-training'];
let f: ServiceFixture;
let admin: Person;
let serial = 0;

const db = () => f.database.db;

async function institution(): Promise<string> {
  serial += 1;
  return seedInstitution(db(), serial);
}

const day = (offset: number) =>
  new Date(Date.UTC(2027, 0, 1) + offset * 86_400_000).toISOString().slice(0, 10);

/** A random history of `institutionId` and of another institution, over 2027 and 2028, written concurrently. */
async function history(next: () => number, institutionId: string, other: string) {
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const companies: string[] = [];
  for (let i = 0; i < 3; i++) {
    serial += 1;
    // Two companies share a name: the page order falls back on the id.
    companies.push(await seedCompany(db(), serial, `Company ${serial % 2}`));
  }
  const courses: { id: string; institution: string }[] = [];
  for (const owner of [institutionId, institutionId, institutionId, other]) {
    const row = await db()
      .insertInto('courses')
      .values({ institution_id: owner, title: `Course ${courses.length % 3}`, state: 'published' })
      .returning('id')
      .executeTakeFirstOrThrow();
    courses.push({ id: row.id, institution: owner });
  }
  const learners = Array.from({ length: 10 }, (_, i) => `learner-${serial}-${i}`);
  const provisions: { id: string; courseId: string; institutionId: string }[] = [];
  for (let p = 0; p < 12; p++) {
    const c = pick(courses);
    const start = Math.floor(next() * 700);
    const row = await db()
      .insertInto('provisions')
      .values({
        company_id: pick(companies),
        course_id: c.id,
        institution_id: c.institution,
        starts_on: day(start),
        ends_on: day(start + Math.floor(next() * 120)),
        attendee_count: 50,
        deposit_amount: 0,
        state: pick(['accepted', 'accepted', 'requested'] as const),
        requested_by: 'seed',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    provisions.push({ id: row.id, courseId: c.id, institutionId: c.institution });
  }
  // Any hour, so some fall on the other side of a month in Seoul than in UTC.
  const when = () => new Date(Date.UTC(2027, 0, 1) + Math.floor(next() * 730 * 24) * 3_600_000);

  const lectures: { lectureId: string; provision: (typeof provisions)[number] }[] = [];
  let reported = 0;
  // The reports draw from their own sequence, so the rest of each seed's history stays as it was.
  const nextLive = seededRandom(1_000 + serial);
  const pickLive = <T>(items: readonly T[]) => items[Math.floor(nextLive() * items.length)]!;

  // Rounds of concurrent writes: every action of a round is in flight at once, on its own connection.
  for (let round = 0; round < 6; round++) {
    const actions: (() => Promise<unknown>)[] = [];
    for (let r = 0; r < 2; r++) {
      // A lecture's end report: a new lecture, or one of a provision's that ended again later (a restarted
      // stream), for whichever learners are enrolled when it is applied.
      const again = lectures.length > 0 && nextLive() < 0.3;
      const lecture = again
        ? pickLive(lectures)
        : { lectureId: randomUUID(), provision: pickLive(provisions) };
      if (!again) lectures.push(lecture);
      const started = new Date(Date.UTC(2027, 0, 1) + Math.floor(nextLive() * 730 * 24) * 3_600_000);
      reported += 1;
      const occurredAt = new Date(Date.UTC(2029, 0, 1) + reported * 1000).toISOString();
      const rates = new Map(
        learners.filter(() => nextLive() < 0.6).map((l) => [l, Math.round(nextLive() * 1e6) / 1e6]),
      );
      const redelivered = nextLive() < 0.3;
      actions.push(async () => {
        const enrolled = await db()
          .selectFrom('enrollments')
          .select(['id', 'user_sub'])
          .where('provision_id', '=', lecture.provision.id)
          .execute();
        const report: LiveEnded = {
          lectureId: lecture.lectureId,
          provisionId: lecture.provision.id,
          courseId: lecture.provision.courseId,
          institutionId: lecture.provision.institutionId,
          title: 'Lecture',
          occurredAt,
          startedAt: started.toISOString(),
          endedAt: new Date(started.getTime() + 3_600_000).toISOString(),
          quizzesSent: 0,
          part: 1,
          parts: 1,
          attendees: enrolled
            .filter((e) => rates.has(e.user_sub))
            .map((e) => ({
              userSub: e.user_sub,
              enrollmentId: e.id,
              joinedAt: started.toISOString(),
              presenceSeconds: Math.round(rates.get(e.user_sub)! * 3600),
              attendanceRate: rates.get(e.user_sub)!,
              quizzesAnswered: 0,
              quizzesCorrect: 0,
            })),
        };
        const eventId = randomUUID();
        await applyLiveEnded(db(), eventId, report);
        if (redelivered)
          expect(await applyLiveEnded(db(), eventId, report)).toEqual({ outcome: 'duplicate' });
      });
    }
    for (let a = 0; a < 8; a++) {
      const provision = pick(provisions);
      const roll = next();
      if (roll < 0.35) {
        // A company enrolling several employees in one statement, or sending the same request again.
        const rows = learners
          .filter(() => next() < 0.4)
          .map((user_sub) => ({
            provision_id: provision.id,
            course_id: provision.courseId,
            user_sub,
            created_at: when(),
          }));
        if (rows.length > 0)
          actions.push(() =>
            db()
              .insertInto('enrollments')
              .values(rows)
              .onConflict((oc) => oc.columns(['provision_id', 'user_sub']).doNothing())
              .execute(),
          );
      } else if (roll < 0.55) {
        // One learner into several provisions at once.
        const learner = pick(learners);
        for (const p of [provision, pick(provisions), pick(provisions)]) {
          const row = { provision_id: p.id, course_id: p.courseId, user_sub: learner, created_at: when() };
          actions.push(() =>
            db()
              .insertInto('enrollments')
              .values(row)
              .onConflict((oc) => oc.columns(['provision_id', 'user_sub']).doNothing())
              .execute(),
          );
        }
      } else if (roll < 0.68) {
        const state = pick(['accepted', 'requested', 'rejected'] as const);
        const start = Math.floor(next() * 700);
        const moved = next() < 0.5;
        const length = Math.floor(next() * 200);
        actions.push(() =>
          db()
            .updateTable('provisions')
            .set({ state, ...(moved ? { starts_on: day(start), ends_on: day(start + length) } : {}) })
            .where('id', '=', provision.id)
            .execute(),
        );
      } else if (roll < 0.76) {
        const learner = pick(learners);
        // Withdrawn as the service does it: the provision first, which orders it against enrollments and
        // lectures' reports.
        actions.push(() =>
          db()
            .transaction()
            .execute(async (trx) => {
              await trx
                .selectFrom('provisions')
                .select('id')
                .where('id', '=', provision.id)
                .forUpdate()
                .execute();
              await trx
                .deleteFrom('enrollments')
                .where('provision_id', '=', provision.id)
                .where('user_sub', '=', learner)
                .where('id', 'not in', trx.selectFrom('course_ratings').select('enrollment_id'))
                .where('id', 'not in', trx.selectFrom('live_attendance').select('enrollment_id'))
                .execute();
            }),
        );
      } else if (roll < 0.88) {
        // Taking part, then completing: each once, as the service sets them.
        const at = when();
        const completes = next() < 0.6;
        const who = learners.filter(() => next() < 0.5);
        // Several learners at once, their enrollments locked in one order first, as a report locks its
        // attendees'.
        if (who.length > 0)
          actions.push(() =>
            db()
              .transaction()
              .execute(async (trx) => {
                await trx
                  .selectFrom('enrollments')
                  .select('id')
                  .where('provision_id', '=', provision.id)
                  .where('user_sub', 'in', who)
                  .orderBy('id')
                  .forNoKeyUpdate()
                  .execute();
                await trx
                  .updateTable('enrollments')
                  .set((eb) => ({
                    first_activity_at: eb.fn.coalesce('first_activity_at', sql<Date>`${at}::timestamptz`),
                    completed_at: completes
                      ? eb.fn.coalesce('completed_at', sql<Date>`${at}::timestamptz`)
                      : eb.ref('completed_at'),
                  }))
                  .where('provision_id', '=', provision.id)
                  .where('user_sub', 'in', who)
                  .execute();
              }),
          );
      } else {
        const stars = 1 + Math.floor(next() * 5);
        actions.push(async () => {
          const enrollment = await db()
            .selectFrom('enrollments')
            .select(['id', 'course_id'])
            .where('provision_id', '=', provision.id)
            .orderBy('user_sub')
            .executeTakeFirst();
          if (!enrollment) return;
          await db()
            .insertInto('course_ratings')
            .values({ enrollment_id: enrollment.id, course_id: enrollment.course_id, stars })
            .onConflict((oc) => oc.column('enrollment_id').doUpdateSet({ stars }))
            .execute();
        });
      }
    }
    await Promise.all(actions.map((act) => act()));
  }
}

/** Every page of a listing, following its cursors. */
async function allPages<T>(
  get: (cursor: string) => Promise<{ cursor?: string } & Record<string, unknown>>,
  key: string,
) {
  const rows: T[] = [];
  let cursor = '';
  let pages = 0;
  do {
    const page = await get(cursor ? `&cursor=${cursor}` : '');
    rows.push(...(page[key] as T[]));
    cursor = page.cursor ?? '';
    pages += 1;
  } while (cursor);
  return { rows, pages };
}

/** Completion from the facts, as the route counted it before the counts were kept. */
async function completionFromFacts(institutionId: string) {
  const { rows } = await sql<Record<string, unknown>>`
    with counts as (
      select v.company_id, v.course_id, count(e.id)::int as enrolled,
        count(e.first_activity_at)::int as attended, count(e.completed_at)::int as completed
      from provisions v
      left join enrollments e on e.provision_id = v.id
      where v.institution_id = ${institutionId} and v.state = 'accepted'
      group by v.company_id, v.course_id),
    lectures as (
      select v.company_id, v.course_id, count(*)::int as lectures
      from provisions v
      join live_lectures l on l.provision_id = v.id
      where v.institution_id = ${institutionId} and v.state = 'accepted'
      group by v.company_id, v.course_id),
    live as (
      select v.company_id, v.course_id, avg(coalesce(la.attendance_rate, 0)) as rate
      from provisions v
      join enrollments e on e.provision_id = v.id
      join live_lectures l on l.provision_id = v.id
      left join live_attendance la on la.lecture_id = l.lecture_id and la.enrollment_id = e.id
      where v.institution_id = ${institutionId} and v.state = 'accepted' and ${LIVE_LECTURES_DUE}
      group by v.company_id, v.course_id)
    select co.id as "companyId", co.name as "companyName", c.id as "courseId", c.title as "courseTitle",
      n.enrolled, n.attended, n.completed,
      coalesce(round(n.attended::numeric / nullif(n.enrolled, 0), 4), 0)::float8 as "attendanceRate",
      coalesce(round(n.completed::numeric / nullif(n.enrolled, 0), 4), 0)::float8 as "completionRate",
      coalesce(t.lectures, 0) as "liveLectures", round(lv.rate, 4)::float8 as "liveAttendanceRate"
    from counts n
    join companies co on co.id = n.company_id
    join courses c on c.id = n.course_id
    left join lectures t on t.company_id = n.company_id and t.course_id = n.course_id
    left join live lv on lv.company_id = n.company_id and lv.course_id = n.course_id
    order by co.name, co.id, c.title, c.id`.execute(db());
  return rows;
}

/** Ratings from the facts, most rated first. */
async function ratingsFromFacts(institutionId: string) {
  const { rows } = await sql<Record<string, unknown>>`
    select c.id as "courseId", c.title, count(r.stars)::int as ratings,
      round(avg(r.stars), 2)::float8 as average,
      array[
        count(*) filter (where r.stars = 1), count(*) filter (where r.stars = 2),
        count(*) filter (where r.stars = 3), count(*) filter (where r.stars = 4),
        count(*) filter (where r.stars = 5)]::int[] as distribution
    from courses c
    left join course_ratings r on r.course_id = c.id
    where c.institution_id = ${institutionId} and c.state <> 'draft'
    group by c.id, c.title
    order by ratings desc, c.title, c.id`.execute(db());
  return rows;
}

/** Running accepted provisions, their companies and distinct learners in each month, from the facts. */
async function activityFromFacts(institutionId: string) {
  const { rows } = await sql<Record<string, unknown>>`
    with periods as (
      select p::date as starts, (p + interval '1 month')::date as ends, to_char(p, 'YYYY-MM') as period
      from generate_series('2026-11-01'::timestamp, '2029-10-01'::timestamp, interval '1 month') p)
    select t.period, count(distinct v.company_id)::int as companies, count(distinct e.user_sub)::int as learners,
      count(distinct v.id)::int as "runningProvisions"
    from periods t
    left join provisions v on v.institution_id = ${institutionId} and v.state = 'accepted'
      and v.starts_on < t.ends and v.ends_on >= t.starts
    left join enrollments e on e.provision_id = v.id
    group by t.period, t.starts
    order by t.starts`.execute(db());
  return rows;
}

beforeAll(async () => {
  f = await serviceFixture('analytics_aggregates', { compliance: PROFILE });
  admin = await f.person(['platform-admin'], 'admin');
});

afterAll(async () => {
  await f.close();
});

const get = (url: string) => expectStatus(f.call(admin, { method: 'GET', url }), 200);

describe('counts kept as the facts happen', () => {
  it.each([11, 12, 13, 14])(
    'agree with a recount and with the facts after random history %i',
    async (seed) => {
      const institutionId = await institution();
      await history(seededRandom(seed), institutionId, await institution());

      const { aggregates } = await rebuildAnalytics(db());
      expect(aggregates.filter((a) => a.changed !== 0)).toEqual([]);
      // Busy enough to mean something: several periods with learners, completions and ratings.
      const rowsOf = (name: string) => aggregates.find((a) => a.aggregate === name)!.rows;
      expect(rowsOf('institution_period_counts')).toBeGreaterThan(3);
      expect(rowsOf('course_rating_counts')).toBeGreaterThan(0);

      const base = `/institutions/${institutionId}/analytics`;
      const completion = await allPages<Record<string, unknown>>(
        (c) => get(`${base}/completion?limit=2${c}`),
        'rows',
      );
      expect(completion.pages).toBeGreaterThan(1);
      expect(completion.rows).toEqual(await completionFromFacts(institutionId));
      // The history completed some enrollments, so the counts had completions to follow.
      const { rows: completed } = await sql<{ n: number }>`
        select count(*)::int as n from enrollments e join provisions v on v.id = e.provision_id
        where v.institution_id = ${institutionId} and e.completed_at is not null`.execute(db());
      expect(completed[0]!.n).toBeGreaterThan(0);
      expect(completion.rows).toEqual((await get(`${base}/completion?limit=200`)).rows);
      // Lectures were due and attended, some by learners enrolled after the lecture ended.
      expect(completion.rows.some((r) => (r.liveAttendanceRate as number | null) !== null)).toBe(true);
      const { rows: late } = await sql<{ n: number }>`
        select count(*)::int as n from live_attendance la
        join live_lectures l using (lecture_id) join enrollments e on e.id = la.enrollment_id
        where e.created_at >= l.ended_at`.execute(db());
      expect(late[0]!.n).toBeGreaterThan(0);

      const ratings = await allPages<Record<string, unknown>>(
        (c) => get(`${base}/ratings?limit=1${c}`),
        'courses',
      );
      expect(ratings.rows).toEqual(await ratingsFromFacts(institutionId));

      const months = await get(`${base}/activity?period=month&from=2026-11&to=2029-10`);
      expect(months).toEqual(await activityFromFacts(institutionId));
      expect(months.some((m: { companies: number }) => m.companies > 0)).toBe(true);
    },
  );
});

describe('the months the course counts are kept in', () => {
  it('follow the service’s zone; another zone is counted from the facts until the counts are recounted', async () => {
    const institutionId = await institution();
    await history(seededRandom(21), institutionId, await institution());
    const url = `/institutions/${institutionId}/analytics/popular-courses?from=2027-01&to=2028-12&top=100`;
    const kept = await get(url);

    // A fork whose profile changed zone: until the service starts with it, the route counts from the facts.
    await sql`update analytics_settings set time_zone = 'UTC'`.execute(db());
    const fromFacts = await get(url);
    expect(fromFacts).toEqual(kept);
    expect(await alignAnalyticsTimeZone(db(), PROFILE.timeZone)).toBe(true);
    expect(await alignAnalyticsTimeZone(db(), PROFILE.timeZone)).toBe(false);
    expect(await get(url)).toEqual(kept);
    const { aggregates } = await rebuildAnalytics(db());
    expect(aggregates.filter((a) => a.changed !== 0)).toEqual([]);
    // Some enrollment falls in another month in Seoul than in UTC, so the zone mattered.
    expect(kept.some((m: { courses: unknown[] }) => m.courses.length > 0)).toBe(true);
  });

  it('name at most `top` courses a month, the most enrolled', async () => {
    const institutionId = await institution();
    await history(seededRandom(22), institutionId, await institution());
    const base = `/institutions/${institutionId}/analytics/popular-courses?from=2027-01&to=2028-12`;
    const all = await get(`${base}&top=100`);
    const top1 = await get(`${base}&top=1`);
    expect(top1).toEqual(
      all.map((m: { month: string; courses: unknown[] }) => ({ ...m, courses: m.courses.slice(0, 1) })),
    );
    expect(all.some((m: { courses: unknown[] }) => m.courses.length > 1)).toBe(true);
  });
});

describe('pages', () => {
  it.each([
    ['completion', 'cursor=bm90LWEtY3Vyc29y', 'query.cursor'],
    ['completion', 'cursor=WyJhIiwibm90LWEtdXVpZCIsImIiLCJ4Il0', 'query.cursor'],
    ['ratings', 'cursor=WzEsIlx1MDAwMCIsIngiXQ', 'query.cursor'],
    ['completion', 'limit=0', 'query.limit'],
    ['ratings', 'limit=201', 'query.limit'],
    ['popular-courses', 'from=2027-01&to=2027-02&top=101', 'query.top'],
  ])('%s refuses %s, naming %s', async (route, query, field) => {
    const res = await f.call(admin, {
      method: 'GET',
      url: `/institutions/${await institution()}/analytics/${route}?${query}`,
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().errors).toEqual([expect.objectContaining({ field })]);
  });
});
