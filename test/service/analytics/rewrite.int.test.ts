import { sql } from 'kysely';
import { COMPLIANCE_PROFILES } from '#contracts/compliance-profiles';
import { seedCompany, seedInstitution } from '../seed';
import { serviceFixture, type Person, type ServiceFixture } from '../service-fixture';
import { expectStatus } from '../world';
import { seededRandom } from '../seeded-random';

/*
 * The activity and popular-courses queries were rewritten for large histories (bench/analytics): activity
 * counts each period's provisions, then their learners, rather than three distinct counts over every
 * enrollment row of every period; popular-courses groups by month and course id before naming them. Here
 * each route's answer is compared with its query as it was, on random small histories: provisions of
 * random periods and states, learners enrolled in several provisions at any hour, companies with several
 * provisions, and another institution's provisions and courses that must count nowhere.
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

/** A random history of `institutionId` and of another institution, over 2027 and 2028. */
async function history(next: () => number, institutionId: string, other: string) {
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const companies: string[] = [];
  for (let i = 0; i < 4; i++) {
    serial += 1;
    companies.push(await seedCompany(db(), serial));
  }
  const courses: { id: string; institution: string }[] = [];
  for (const owner of [institutionId, institutionId, institutionId, other]) {
    const row = await db()
      .insertInto('courses')
      .values({ institution_id: owner, title: `Course ${courses.length}`, state: 'published' })
      .returning('id')
      .executeTakeFirstOrThrow();
    courses.push({ id: row.id, institution: owner });
  }
  const learners = Array.from({ length: 12 }, (_, i) => `learner-${serial}-${i}`);
  const day = (offset: number) =>
    new Date(Date.UTC(2027, 0, 1) + offset * 86_400_000).toISOString().slice(0, 10);
  for (let p = 0; p < 20; p++) {
    const c = pick(courses);
    const start = Math.floor(next() * 700);
    const provision = await db()
      .insertInto('provisions')
      .values({
        company_id: pick(companies),
        course_id: c.id,
        institution_id: c.institution,
        starts_on: day(start),
        ends_on: day(start + Math.floor(next() * 120)),
        attendee_count: 20,
        deposit_amount: 0,
        state: pick(['accepted', 'accepted', 'accepted', 'rejected', 'requested'] as const),
        requested_by: 'seed',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const enrolled = learners.filter(() => next() < 0.4);
    if (enrolled.length > 0)
      await db()
        .insertInto('enrollments')
        .values(
          enrolled.map((user_sub) => ({
            provision_id: provision.id,
            course_id: c.id,
            user_sub,
            // Any hour, so some fall on the other side of a month in Seoul than in UTC.
            created_at: new Date(Date.UTC(2027, 0, 1) + Math.floor(next() * 730 * 24) * 3_600_000),
          })),
        )
        .execute();
  }
}

/** The activity query before the rewrite, word for word but for its parameters. */
async function activityAsItWas(
  institutionId: string,
  unit: string,
  step: string,
  label: string,
  from: string,
  to: string,
) {
  const { rows } = await sql<{
    period: string;
    companies: number;
    learners: number;
    runningProvisions: number;
  }>`
    with periods as (
      select p::date as starts, (p + ${step}::interval)::date as ends, to_char(p, ${label}::text) as period
      from generate_series(
        date_trunc(${unit}::text, ${`${from}-01`}::timestamp),
        date_trunc(${unit}::text, ${`${to}-01`}::timestamp),
        ${step}::interval) p)
    select t.period,
      count(distinct v.company_id)::int as companies,
      count(distinct e.user_sub)::int as learners,
      count(distinct v.id)::int as "runningProvisions"
    from periods t
    left join provisions v on v.institution_id = ${institutionId} and v.state = 'accepted'
      and v.starts_on < t.ends and v.ends_on >= t.starts
    left join enrollments e on e.provision_id = v.id
    group by t.period, t.starts
    order by t.starts`.execute(db());
  return rows;
}

/** The popular-courses query before the rewrite, word for word but for its parameters. */
async function popularCoursesAsItWas(institutionId: string, from: string, to: string, timeZone: string) {
  const first = `${from}-01`;
  const last = `${to}-01`;
  const { rows } = await sql<{
    month: string;
    courses: { courseId: string; title: string; enrollments: number }[];
  }>`
    with months as (
      select to_char(m, 'YYYY-MM') as month
      from generate_series(${first}::timestamp, ${last}::timestamp, interval '1 month') m),
    counts as (
      select to_char(e.created_at at time zone ${timeZone}::text, 'YYYY-MM') as month,
        c.id, c.title, count(*)::int as enrollments
      from enrollments e
      join courses c on c.id = e.course_id
      where c.institution_id = ${institutionId}
        and e.created_at >= ${first}::timestamp at time zone ${timeZone}::text
        and e.created_at < (${last}::timestamp + interval '1 month') at time zone ${timeZone}::text
      group by 1, c.id, c.title)
    select m.month,
      coalesce(
        json_agg(json_build_object('courseId', n.id, 'title', n.title, 'enrollments', n.enrollments)
          order by n.enrollments desc, n.title, n.id) filter (where n.id is not null),
        '[]') as courses
    from months m
    left join counts n on n.month = m.month
    group by m.month
    order by m.month`.execute(db());
  return rows;
}

beforeAll(async () => {
  f = await serviceFixture('analytics_rewrite', { compliance: PROFILE });
  admin = await f.person(['platform-admin'], 'admin');
});

afterAll(async () => {
  await f.close();
});

describe('activity and popular courses, rewritten', () => {
  it.each([1, 2, 3, 4, 5])('answers as the query it replaced on random history %i', async (seed) => {
    const institutionId = await institution();
    await history(seededRandom(seed), institutionId, await institution());
    const answer = (query: string) =>
      expectStatus(
        f.call(admin, { method: 'GET', url: `/institutions/${institutionId}/analytics/${query}` }),
        200,
      );
    const months = await answer('activity?period=month&from=2027-01&to=2028-12');
    expect(months).toEqual(
      await activityAsItWas(institutionId, 'month', '1 month', 'YYYY-MM', '2027-01', '2028-12'),
    );
    // The histories are busy enough for the comparison to mean something.
    expect(months.some((m: { learners: number }) => m.learners > 1)).toBe(true);
    expect(await answer('activity?period=quarter&from=2027-02&to=2028-11')).toEqual(
      await activityAsItWas(institutionId, 'quarter', '3 months', 'YYYY-"Q"Q', '2027-02', '2028-11'),
    );
    const popular = await answer('popular-courses?from=2027-01&to=2028-12&top=100');
    expect(popular).toEqual(
      await popularCoursesAsItWas(institutionId, '2027-01', '2028-12', PROFILE.timeZone),
    );
    expect(popular.some((m: { courses: unknown[] }) => m.courses.length > 1)).toBe(true);
  });
});

describe('completion of one company or course', () => {
  it.each([6, 7])(
    'gives the rows of all companies and courses that match, random history %i',
    async (seed) => {
      const institutionId = await institution();
      await history(seededRandom(seed), institutionId, await institution());
      const completion = (query: string) =>
        expectStatus(
          f.call(admin, {
            method: 'GET',
            url: `/institutions/${institutionId}/analytics/completion${query}`,
          }),
          200,
        ).then((page) => (page as { rows: unknown[] }).rows);
      type Row = { companyId: string; courseId: string };
      const all = (await completion('')) as Row[];
      const companies = [...new Set(all.map((r) => r.companyId))];
      const courses = [...new Set(all.map((r) => r.courseId))];
      expect(companies.length).toBeGreaterThan(1);
      expect(courses.length).toBeGreaterThan(1);
      for (const companyId of companies)
        expect(await completion(`?companyId=${companyId}`)).toEqual(
          all.filter((r) => r.companyId === companyId),
        );
      for (const courseId of courses)
        expect(await completion(`?courseId=${courseId}`)).toEqual(all.filter((r) => r.courseId === courseId));
      const { companyId, courseId } = all[0]!;
      expect(await completion(`?companyId=${companyId}&courseId=${courseId}`)).toEqual([all[0]]);
    },
  );

  it('refuses a company id that is no uuid, naming it', async () => {
    const res = await f.call(admin, {
      method: 'GET',
      url: `/institutions/${await institution()}/analytics/completion?companyId=42`,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([expect.objectContaining({ field: 'query.companyId' })]);
  });
});
