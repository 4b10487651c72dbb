import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { COMPLIANCE_PROFILES } from '#contracts/compliance-profiles';
import type { Database } from '#service/db/schema';
import { businessNumberFrom, serviceFixture, type Person, type ServiceFixture } from '../service-fixture';
import { expectStatus, snapshot } from '../world';

/*
 * One institution's history, straight into the tables, under the Korean profile (months in Asia/Seoul,
 * UTC+9). Figures below are worked out by hand from this table, not by the code under test.
 *
 * Companies: Alpha Logistics, Beta Foods (inserted in that order's reverse, so names decide the order).
 * Courses of the institution: Crane Safety, Forklift Basics (published), Welding (archived), Apprentice
 * Draft (draft). The other institution has one course, rated, enrolled and provisioned to Alpha.
 *
 * Provisions            company  course     period                  state
 *   p1                  Alpha    Crane      2027-01-15 – 2027-03-10  accepted
 *   p2                  Beta     Crane      2027-03-20 – 2027-05-31  accepted
 *   p3                  Alpha    Forklift   2027-04-01 – 2027-06-30  accepted
 *   p4                  Beta     Forklift   2027-02-01 – 2027-05-31  rejected (counts nowhere)
 *   p5                  Beta     Welding    2027-06-15 – 2027-07-15  accepted, nobody enrolled
 *   p6                  Alpha    Crane      2027-06-01 – 2027-06-30  accepted
 *   other institution   Alpha    its own    2027-03-01 – 2027-03-31  accepted (counts nowhere)
 *
 * Enrollments   provision  learner  created (UTC)         Seoul month  watched  exam  completed  stars
 *   e1          p1         u1       2026-12-31 15:30      2027-01      300 s          yes        5
 *   e2          p1         u2       2027-02-05 00:00      2027-02               yes
 *   e3          p1         u3       2027-02-10 00:00      2027-02      0 s (a row, no credit)
 *   e4          p2         u4       2027-03-31 15:30      2027-04      120 s          yes        4
 *   e5          p2         u5       2027-03-25 00:00      2027-03      500 s          yes        5
 *   e9          p2         u8       2027-05-03 00:00      2027-05      30 s
 *   e6          p3         u1       2027-04-02 00:00      2027-04      600 s          yes        2
 *   e7          p3         u4       2027-04-10 00:00      2027-04
 *   e8          p3         u7       2027-05-01 10:00      2027-05      60 s     yes   yes
 *   e10         p6         u2       2027-06-01 00:00      2027-06
 *   (other)     other      u9       2027-03-05 00:00      2027-03      100 s          yes        1
 */

let f: ServiceFixture;
let institutionId: string;
let manager: Person;
let instructor: Person;
let admin: Person;
let otherManager: Person;
const ids: Record<string, string> = {};

const db = () => f.database.db;

/**
 * A row by raw SQL, since creation times are the database's own in the service and set here by hand; its
 * id, for tables that have one.
 */
async function insert(table: keyof Database, row: Record<string, unknown>): Promise<string> {
  const columns = sql.join(Object.keys(row).map((c) => sql.ref(c)));
  const { rows } = await sql<{ id: string }>`
    insert into ${sql.table(table)} (${columns}) values (${sql.join(Object.values(row))})
    returning *`.execute(db());
  return rows[0]!.id;
}

let serial = 0;
async function institution(): Promise<string> {
  serial += 1;
  return insert('institutions', {
    name: `Academy ${serial}`,
    owner_name: 'Owner',
    business_number: businessNumberFrom(`70000000${serial}`),
    certification_number: 'CERT',
    contact_email: `office${serial}@academy.example.com`,
    contact_phone: '02-000-0000',
    created_by: 'seed',
  });
}

async function company(name: string): Promise<string> {
  serial += 1;
  return insert('companies', {
    name,
    owner_name: 'Owner',
    business_number: businessNumberFrom(`80000000${serial}`),
    email: `hr${serial}@company.example.com`,
    phone: '031-000-0000',
    created_by: 'seed',
  });
}

/** A course with one ready video and one final exam. */
async function course(institution: string, title: string, state: 'draft' | 'published' | 'archived') {
  const id = await insert('courses', { institution_id: institution, title, state });
  const chapter = await insert('chapters', { course_id: id, title: 'One', position: 0 });
  const video = await insert('contents', {
    course_id: id,
    chapter_id: chapter,
    kind: 'video',
    title: 'Lesson',
    position: 0,
    media_state: 'ready',
    duration_seconds: 600,
  });
  const exam = await insert('contents', {
    course_id: id,
    chapter_id: chapter,
    kind: 'exam',
    title: 'Final',
    position: 1,
  });
  await insert('exams', { content_id: exam, stage: 'final', weight: 100 });
  return { id, video, exam };
}
type Course = Awaited<ReturnType<typeof course>>;

async function provision(
  institution: string,
  companyId: string,
  c: Course,
  startsOn: string,
  endsOn: string,
  state: 'accepted' | 'rejected' = 'accepted',
) {
  return {
    id: await insert('provisions', {
      company_id: companyId,
      course_id: c.id,
      institution_id: institution,
      starts_on: startsOn,
      ends_on: endsOn,
      attendee_count: 10,
      deposit_amount: 0,
      state,
      requested_by: 'seed',
    }),
    course: c,
  };
}
type Provision = Awaited<ReturnType<typeof provision>>;

async function enroll(
  p: Provision,
  userSub: string,
  createdAt: string,
  record: { watched?: number; exam?: true; completedAt?: string; stars?: number } = {},
): Promise<string> {
  const id = await insert('enrollments', {
    provision_id: p.id,
    course_id: p.course.id,
    user_sub: userSub,
    created_at: createdAt,
    completed_at: record.completedAt ?? null,
  });
  if (record.watched !== undefined)
    await insert('content_progress', {
      enrollment_id: id,
      content_id: p.course.video,
      covered: record.watched > 0 ? `{[0,${record.watched})}` : '{}',
      covered_seconds: record.watched,
    });
  if (record.exam)
    await insert('exam_attempts', {
      exam_id: p.course.exam,
      enrollment_id: id,
      attempt_no: 1,
      started_at: createdAt,
      max_points: 10,
    });
  if (record.stars !== undefined)
    await insert('course_ratings', { enrollment_id: id, course_id: p.course.id, stars: record.stars });
  return id;
}

beforeAll(async () => {
  f = await serviceFixture('analytics', { compliance: COMPLIANCE_PROFILES['kr-employer-training'] });
  institutionId = await institution();
  const otherInstitution = await institution();
  manager = await f.person(['institution-manager'], 'manager');
  instructor = await f.person(['instructor'], 'instructor');
  otherManager = await f.person(['institution-manager'], 'other');
  admin = await f.person(['platform-admin'], 'admin');
  for (const [institution, person, role] of [
    [institutionId, manager, 'institution-manager'],
    [institutionId, instructor, 'instructor'],
    [otherInstitution, otherManager, 'institution-manager'],
  ] as const)
    await insert('institution_members', { institution_id: institution, user_sub: person.sub, role });

  const beta = await company('Beta Foods');
  const alpha = await company('Alpha Logistics');
  const forklift = await course(institutionId, 'Forklift Basics', 'published');
  const crane = await course(institutionId, 'Crane Safety', 'published');
  const welding = await course(institutionId, 'Welding', 'archived');
  const draft = await course(institutionId, 'Apprentice Draft', 'draft');
  const foreign = await course(otherInstitution, 'Elsewhere', 'published');
  Object.assign(ids, {
    alpha,
    beta,
    crane: crane.id,
    forklift: forklift.id,
    welding: welding.id,
    draft: draft.id,
    foreign: foreign.id,
  });

  const p1 = await provision(institutionId, alpha, crane, '2027-01-15', '2027-03-10');
  const p2 = await provision(institutionId, beta, crane, '2027-03-20', '2027-05-31');
  const p3 = await provision(institutionId, alpha, forklift, '2027-04-01', '2027-06-30');
  await provision(institutionId, beta, forklift, '2027-02-01', '2027-05-31', 'rejected');
  await provision(institutionId, beta, welding, '2027-06-15', '2027-07-15');
  const p6 = await provision(institutionId, alpha, crane, '2027-06-01', '2027-06-30');
  const elsewhere = await provision(otherInstitution, alpha, foreign, '2027-03-01', '2027-03-31');

  const u = Array.from({ length: 10 }, () => randomUUID());
  const done = '2027-06-20T00:00:00Z';
  await enroll(p1, u[1]!, '2026-12-31T15:30:00Z', { watched: 300, completedAt: done, stars: 5 });
  await enroll(p1, u[2]!, '2027-02-05T00:00:00Z', { exam: true });
  await enroll(p1, u[3]!, '2027-02-10T00:00:00Z', { watched: 0 });
  await enroll(p2, u[4]!, '2027-03-31T15:30:00Z', { watched: 120, completedAt: done, stars: 4 });
  await enroll(p2, u[5]!, '2027-03-25T00:00:00Z', { watched: 500, completedAt: done, stars: 5 });
  await enroll(p2, u[8]!, '2027-05-03T00:00:00Z', { watched: 30 });
  await enroll(p3, u[1]!, '2027-04-02T00:00:00Z', { watched: 600, completedAt: done, stars: 2 });
  await enroll(p3, u[4]!, '2027-04-10T00:00:00Z');
  await enroll(p3, u[7]!, '2027-05-01T10:00:00Z', { watched: 60, exam: true, completedAt: done });
  await enroll(p6, u[2]!, '2027-06-01T00:00:00Z');
  await enroll(elsewhere, u[9]!, '2027-03-05T00:00:00Z', { watched: 100, completedAt: done, stars: 1 });
});
afterAll(() => f.close());

const get = (who: Person, url: string) =>
  expectStatus(f.call(who, { method: 'GET', url: `/institutions/${institutionId}/analytics/${url}` }), 200);

describe('institution analytics', () => {
  it('counts enrollments per Seoul month and course, most enrolled first, every month present', async () => {
    const crane = (enrollments: number) => ({ courseId: ids.crane, title: 'Crane Safety', enrollments });
    const forklift = (enrollments: number) => ({
      courseId: ids.forklift,
      title: 'Forklift Basics',
      enrollments,
    });
    expect(await get(manager, 'popular-courses?from=2027-01&to=2027-07')).toEqual([
      // e1: 2026-12-31 15:30 UTC is 2027-01-01 00:30 in Seoul, inside the range's first month.
      { month: '2027-01', courses: [crane(1)] },
      // e2, e3.
      { month: '2027-02', courses: [crane(2)] },
      // e5 only: e4 (2027-03-31 15:30 UTC) is April in Seoul; the other institution's course is not here.
      { month: '2027-03', courses: [crane(1)] },
      // e6, e7 for Forklift outnumber e4 for Crane.
      { month: '2027-04', courses: [forklift(2), crane(1)] },
      // e9 and e8: a tie, so by title.
      { month: '2027-05', courses: [crane(1), forklift(1)] },
      // e10.
      { month: '2027-06', courses: [crane(1)] },
      // Nobody enrolled: the month is there, empty.
      { month: '2027-07', courses: [] },
    ]);
  });

  it('counts running accepted provisions, their companies and learners per month', async () => {
    expect(await get(manager, 'activity?period=month&from=2027-01&to=2027-08')).toEqual([
      // p1 (u1, u2, u3); p4 runs from February but was rejected.
      { period: '2027-01', companies: 1, learners: 3, runningProvisions: 1 },
      { period: '2027-02', companies: 1, learners: 3, runningProvisions: 1 },
      // p1 ends the 10th, p2 (u4, u5, u8) starts the 20th; the other institution's provision is not here.
      { period: '2027-03', companies: 2, learners: 6, runningProvisions: 2 },
      // p2 and p3 (u1, u4, u7): u4 is in both, counted once.
      { period: '2027-04', companies: 2, learners: 5, runningProvisions: 2 },
      // p2 ends on the 31st, which still counts.
      { period: '2027-05', companies: 2, learners: 5, runningProvisions: 2 },
      // p3, p5 (nobody) and p6 (u2): Alpha runs two of them.
      { period: '2027-06', companies: 2, learners: 4, runningProvisions: 3 },
      // p5 until the 15th.
      { period: '2027-07', companies: 1, learners: 0, runningProvisions: 1 },
      // Nothing runs: the month is there, with zeros.
      { period: '2027-08', companies: 0, learners: 0, runningProvisions: 0 },
    ]);
  });

  it('counts per whole quarter, from the one holding `from` to the one holding `to`', async () => {
    expect(await get(instructor, 'activity?period=quarter&from=2027-02&to=2027-08')).toEqual([
      // p1 and p2: u1–u5 and u8.
      { period: '2027-Q1', companies: 2, learners: 6, runningProvisions: 2 },
      // p2, p3, p5, p6 of two companies: u4, u5, u8, u1, u7, u2.
      { period: '2027-Q2', companies: 2, learners: 6, runningProvisions: 4 },
      // p5.
      { period: '2027-Q3', companies: 1, learners: 0, runningProvisions: 1 },
    ]);
  });

  it('gives attendance and completion per company and course of accepted provisions', async () => {
    expect((await get(manager, 'completion')).rows).toEqual([
      {
        // p1 and p6: e1, e2, e3, e10; e1 watched, e2 sat the exam, e3's progress row credits nothing.
        // Only e1 completed.
        companyId: ids.alpha,
        companyName: 'Alpha Logistics',
        courseId: ids.crane,
        courseTitle: 'Crane Safety',
        enrolled: 4,
        attended: 2,
        completed: 1,
        attendanceRate: 0.5,
        completionRate: 0.25,
        liveLectures: 0,
        liveAttendanceRate: null,
      },
      {
        // p3: e6, e7, e8; e8 watched and sat the exam, counted once. 2/3 rounds to 0.6667.
        companyId: ids.alpha,
        companyName: 'Alpha Logistics',
        courseId: ids.forklift,
        courseTitle: 'Forklift Basics',
        enrolled: 3,
        attended: 2,
        completed: 2,
        attendanceRate: 0.6667,
        completionRate: 0.6667,
        liveLectures: 0,
        liveAttendanceRate: null,
      },
      {
        // p2: e4, e5, e9 all watched; e4 and e5 completed. Beta's rejected Forklift provision has no row.
        companyId: ids.beta,
        companyName: 'Beta Foods',
        courseId: ids.crane,
        courseTitle: 'Crane Safety',
        enrolled: 3,
        attended: 3,
        completed: 2,
        attendanceRate: 1,
        completionRate: 0.6667,
        liveLectures: 0,
        liveAttendanceRate: null,
      },
      {
        // p5: nobody enrolled, so the rates are 0.
        companyId: ids.beta,
        companyName: 'Beta Foods',
        courseId: ids.welding,
        courseTitle: 'Welding',
        enrolled: 0,
        attended: 0,
        completed: 0,
        attendanceRate: 0,
        completionRate: 0,
        liveLectures: 0,
        liveAttendanceRate: null,
      },
    ]);
  });

  it('gives each course that is not a draft its ratings, most rated first', async () => {
    expect((await get(admin, 'ratings')).courses).toEqual([
      // e1 5, e4 4, e5 5: 14/3 = 4.666… The draft, first by title, is left out.
      {
        courseId: ids.crane,
        title: 'Crane Safety',
        ratings: 3,
        average: 4.67,
        distribution: [0, 0, 0, 1, 2],
      },
      // e6 2; e8 completed without rating.
      {
        courseId: ids.forklift,
        title: 'Forklift Basics',
        ratings: 1,
        average: 2,
        distribution: [0, 1, 0, 0, 0],
      },
      // Archived, never rated.
      { courseId: ids.welding, title: 'Welding', ratings: 0, average: null, distribution: [0, 0, 0, 0, 0] },
    ]);
  });

  it('answers ranges of up to 36 months, one entry per period', async () => {
    const months = await get(manager, 'popular-courses?from=2027-01&to=2029-12');
    expect([months.length, months[0].month, months[35].month]).toEqual([36, '2027-01', '2029-12']);
    const quarters = await get(manager, 'activity?period=quarter&from=2027-01&to=2029-12');
    expect(quarters.map((q: { period: string }) => q.period)).toEqual(
      ['2027', '2028', '2029'].flatMap((y) => [1, 2, 3, 4].map((q) => `${y}-Q${q}`)),
    );
  });

  it('shows an institution to nobody outside it but platform admins, and an unknown one to nobody', async () => {
    for (const url of ['popular-courses?from=2027-01&to=2027-01', 'completion']) {
      const res = await f.call(otherManager, {
        method: 'GET',
        url: `/institutions/${institutionId}/analytics/${url}`,
      });
      expect([res.statusCode, res.json().detail]).toEqual([404, 'Institution not found']);
      const unknown = await f.call(admin, {
        method: 'GET',
        url: `/institutions/${randomUUID()}/analytics/${url}`,
      });
      expect([unknown.statusCode, unknown.json().detail]).toEqual([404, 'Institution not found']);
    }
  });
});

describe('rating a course', () => {
  let course: string;
  let elsewhere: string;

  beforeAll(async () => {
    const rows = await db()
      .selectFrom('provisions')
      .select(['id', 'course_id'])
      .where('course_id', '=', ids.foreign!)
      .execute();
    ({ id: elsewhere, course_id: course } = rows[0]!);
  });

  /** A learner enrolled in the other institution's course, completed or not. */
  async function learner(completed: boolean): Promise<{ person: Person; enrollmentId: string }> {
    const person = await f.person(['learner']);
    const enrollmentId = await insert('enrollments', {
      provision_id: elsewhere,
      course_id: course,
      user_sub: person.sub,
      completed_at: completed ? '2027-03-20T00:00:00Z' : null,
    });
    return { person, enrollmentId };
  }
  const rate = (who: Person, enrollmentId: string, stars: unknown) =>
    f.call(who, { method: 'POST', url: `/me/enrollments/${enrollmentId}/rating`, payload: { stars } });
  /** The answer's status and problem detail, with the database untouched. */
  async function refused(call: () => ReturnType<typeof rate>) {
    const before = await snapshot(db());
    const res = await call();
    expect(await snapshot(db())).toEqual(before);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    return res;
  }

  it('waits for completion, then takes one rating', async () => {
    const { person, enrollmentId } = await learner(false);
    const early = await refused(() => rate(person, enrollmentId, 4));
    expect(early.statusCode).toBe(409);
    await sql`update enrollments set completed_at = now() where id = ${enrollmentId}`.execute(db());
    const res = await rate(person, enrollmentId, 4);
    expect([res.statusCode, res.json()]).toEqual([
      201,
      { enrollmentId, courseId: course, stars: 4, createdAt: expect.stringMatching(/^\d{4}-.*Z$/) },
    ]);
    const again = await refused(() => rate(person, enrollmentId, 5));
    expect(again.statusCode).toBe(409);
    expect(
      await db()
        .selectFrom('course_ratings')
        .select('stars')
        .where('enrollment_id', '=', enrollmentId)
        .execute(),
    ).toEqual([{ stars: 4 }]);
  });

  it('takes one of two ratings sent at once', async () => {
    const { person, enrollmentId } = await learner(true);
    const answers = await Promise.all([rate(person, enrollmentId, 3), rate(person, enrollmentId, 5)]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 409]);
    const rows = await db()
      .selectFrom('course_ratings')
      .select('stars')
      .where('enrollment_id', '=', enrollmentId)
      .execute();
    expect(rows).toEqual([{ stars: answers.find((a) => a.statusCode === 201)!.json().stars }]);
  });

  it('does not let anyone else rate an enrollment, nor learn that it exists', async () => {
    const { enrollmentId } = await learner(true);
    const someone = (await learner(true)).person;
    for (const who of [someone, manager, admin]) {
      const res = await refused(() => rate(who, enrollmentId, 5));
      expect([res.statusCode, res.json().detail]).toEqual([404, 'Enrollment not found']);
    }
  });

  it.each([0, 6, 2.5, '5'])('refuses %p stars, naming body.stars', async (stars) => {
    const { person, enrollmentId } = await learner(true);
    const res = await refused(() => rate(person, enrollmentId, stars));
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ field: 'body.stars', message: expect.any(String) }]);
  });
});
