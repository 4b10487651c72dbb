import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema';
import { type Caller, notFound } from '../http/identity';
import { LIVE_LECTURES_DUE } from '../learning/records';

/** Calendar months `YYYY-MM`, both included. */
export interface MonthRange {
  readonly from: string;
  readonly to: string;
}

export type Period = 'month' | 'quarter';

/**
 * An institution's figures are for its own managers and instructors and for platform admins, as its
 * members list is; anyone else learns nothing, not even that it exists.
 */
async function assertReader(db: Kysely<Database>, caller: Caller, institutionId: string) {
  if (caller.institutionId === institutionId) return;
  if (!caller.has('platform-admin')) throw notFound('Institution');
  // An admin's mistyped id would otherwise chart as an institution with no activity.
  const found = await db
    .selectFrom('institutions')
    .select('id')
    .where('id', '=', institutionId)
    .executeTakeFirst();
  if (!found) throw notFound('Institution');
}

/**
 * Runs one analytics statement in a read-only transaction, planned for its own parameters and without JIT
 * compilation.
 * - JIT off: their plans over a large history cost more than jit_above_cost (generate_series is guessed
 *   at 1000 rows, a year of months times provisions looks huge), so PostgreSQL spent 170-240 ms
 *   compiling each before running it, more than the query itself once it reads only its slice.
 * - A custom plan every time: the pool prepares a statement from its fifth run on a connection
 *   (statement-cache.ts), and PostgreSQL may then keep a generic plan, blind to which institution and how
 *   many months; planning these costs about a millisecond, running them on a wrong guess seconds.
 * Set here rather than for the role or the database: tests, the bench and production then plan alike
 * whatever role connects (the service's login role is made by grantAppRole after migrations, tests and
 * the bench connect as the owner), other clients of the database keep JIT, and the service's other
 * statements stay below the threshold anyway. The price is BEGIN, the settings and COMMIT: three round
 * trips.
 */
function planned<T>(db: Kysely<Database>, read: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db
    .transaction()
    .setAccessMode('read only')
    .execute(async (trx) => {
      await sql`select set_config('jit', 'off', true), set_config('plan_cache_mode', 'force_custom_plan', true)`.execute(
        trx,
      );
      return read(trx);
    });
}

/**
 * Enrollments per month and course, most enrolled first; every month of the range is there, empty or
 * not, so a chart needs no gap filling. A month is the compliance profile's, not the server's.
 */
export async function popularCourses(
  db: Kysely<Database>,
  caller: Caller,
  institutionId: string,
  range: MonthRange,
  timeZone: string,
) {
  await assertReader(db, caller, institutionId);
  const first = `${range.from}-01`;
  const last = `${range.to}-01`;
  const { rows } = await planned(db, (trx) =>
    sql<{
      month: string;
      courses: { courseId: string; title: string; enrollments: number }[];
    }>`
    with months as (
      select to_char(m, 'YYYY-MM') as month
      from generate_series(${first}::timestamp, ${last}::timestamp, interval '1 month') m),
    -- Grouped by the truncated month and course id first: naming the month (to_char) and the course
    -- (title) once a group rather than once an enrollment.
    counts as (
      select to_char(n.month, 'YYYY-MM') as month, c.id, c.title, n.enrollments
      from (
        select date_trunc('month', e.created_at at time zone ${timeZone}::text) as month, e.course_id,
          count(*)::int as enrollments
        from enrollments e
        join courses c on c.id = e.course_id
        where c.institution_id = ${institutionId}
          -- The range's bounds as instants, so the comparison can use created_at as it is stored.
          and e.created_at >= ${first}::timestamp at time zone ${timeZone}::text
          and e.created_at < (${last}::timestamp + interval '1 month') at time zone ${timeZone}::text
        group by 1, e.course_id) n
      join courses c on c.id = n.course_id)
    select m.month,
      coalesce(
        json_agg(json_build_object('courseId', n.id, 'title', n.title, 'enrollments', n.enrollments)
          order by n.enrollments desc, n.title, n.id) filter (where n.id is not null),
        '[]') as courses
    from months m
    left join counts n on n.month = m.month
    group by m.month
    order by m.month`.execute(trx),
  );
  return rows;
}

const PERIODS = {
  month: { unit: 'month', step: '1 month', label: 'YYYY-MM' },
  quarter: { unit: 'quarter', step: '3 months', label: 'YYYY-"Q"Q' },
} as const;

/**
 * Per month or quarter (whole quarters, from the one holding `from` to the one holding `to`): the accepted
 * provisions running at some time in it, their companies and the learners enrolled in them. Provision
 * periods are calendar dates of the compliance profile's zone already, so no conversion is needed.
 */
export async function activity(
  db: Kysely<Database>,
  caller: Caller,
  institutionId: string,
  period: Period,
  range: MonthRange,
) {
  await assertReader(db, caller, institutionId);
  const { unit, step, label } = PERIODS[period];
  const { rows } = await planned(db, (trx) =>
    sql<{
      period: string;
      companies: number;
      learners: number;
      runningProvisions: number;
    }>`
    with periods as (
      select p::date as starts, (p + ${step}::interval)::date as ends, to_char(p, ${label}::text) as period
      from generate_series(
        date_trunc(${unit}::text, ${`${range.from}-01`}::timestamp),
        date_trunc(${unit}::text, ${`${range.to}-01`}::timestamp),
        ${step}::interval) p),
    -- Each period's provisions, counted on their own; only then their enrollments, each learner once a
    -- period. Joining both at once and counting three distincts sorted every enrollment row of every
    -- period (760k rows for a year of a 500k history, spilling to disk).
    running as materialized (
      select t.starts, v.id, v.company_id
      from periods t
      join provisions v on v.institution_id = ${institutionId} and v.state = 'accepted'
        and v.starts_on < t.ends and v.ends_on >= t.starts),
    provisions_per_period as (
      select starts, count(distinct company_id)::int as companies, count(*)::int as running
      from running
      group by starts),
    learners_per_period as (
      select starts, count(*)::int as learners
      from (select distinct r.starts, e.user_sub from running r join enrollments e on e.provision_id = r.id) d
      group by starts)
    select t.period,
      coalesce(p.companies, 0) as companies,
      coalesce(l.learners, 0) as learners,
      coalesce(p.running, 0) as "runningProvisions"
    from periods t
    left join provisions_per_period p on p.starts = t.starts
    left join learners_per_period l on l.starts = t.starts
    order by t.starts`.execute(trx),
  );
  return rows;
}

/** One company's or one course's rows (or both) of the completion figures; all when neither. */
export interface CompletionFilter {
  readonly companyId?: string | undefined;
  readonly courseId?: string | undefined;
}

/**
 * Per company and course of the institution's accepted provisions: who enrolled, who took part at all
 * (credited watching, an exam sitting, or presence at a live lecture) and who completed, with the shares
 * of the enrolled (`attendanceRate` is that share of participants). Live lectures on their own:
 * `liveLectures`, how many of those provisions' lectures ended, and `liveAttendanceRate`, the mean
 * attendance rate (presence over the streamed time) over every enrolled learner and every lecture due to
 * them (`LIVE_LECTURES_DUE`), an absence counting 0; null while no lecture is due.
 */
export async function completion(
  db: Kysely<Database>,
  caller: Caller,
  institutionId: string,
  only: CompletionFilter = {},
) {
  await assertReader(db, caller, institutionId);
  // Written into the SQL only when asked for, so each shape of the query is planned for what it reads.
  const slice = sql.join(
    [
      sql`v.institution_id = ${institutionId} and v.state = 'accepted'`,
      ...(only.companyId ? [sql`v.company_id = ${only.companyId}`] : []),
      ...(only.courseId ? [sql`v.course_id = ${only.courseId}`] : []),
    ],
    sql` and `,
  );
  const { rows } = await planned(db, (trx) =>
    sql<{
      companyId: string;
      companyName: string;
      courseId: string;
      courseTitle: string;
      enrolled: number;
      attended: number;
      completed: number;
      attendanceRate: number;
      completionRate: number;
      liveLectures: number;
      liveAttendanceRate: number | null;
    }>`
    with counts as (
      select v.company_id, v.course_id,
        count(e.id)::int as enrolled,
        -- Kept with the facts it stands for (migrations/0015): no probe of three tables per enrollment.
        count(e.first_activity_at)::int as attended,
        count(e.completed_at)::int as completed
      from provisions v
      left join enrollments e on e.provision_id = v.id
      where ${slice}
      group by v.company_id, v.course_id),
    lectures as (
      select v.company_id, v.course_id, count(*)::int as lectures
      from provisions v
      join live_lectures l on l.provision_id = v.id
      where ${slice}
      group by v.company_id, v.course_id),
    -- One row per enrolled learner and lecture due to them: the mean of these is the live rate.
    live as (
      select v.company_id, v.course_id, avg(coalesce(la.attendance_rate, 0)) as rate
      from provisions v
      join enrollments e on e.provision_id = v.id
      join live_lectures l on l.provision_id = v.id
      left join live_attendance la on la.lecture_id = l.lecture_id and la.enrollment_id = e.id
      where ${slice} and ${LIVE_LECTURES_DUE}
      group by v.company_id, v.course_id)
    select co.id as "companyId", co.name as "companyName", c.id as "courseId", c.title as "courseTitle",
      n.enrolled, n.attended, n.completed,
      -- float8: both drivers give a number (numeric arrives from pg as text).
      coalesce(round(n.attended::numeric / nullif(n.enrolled, 0), 4), 0)::float8 as "attendanceRate",
      coalesce(round(n.completed::numeric / nullif(n.enrolled, 0), 4), 0)::float8 as "completionRate",
      coalesce(t.lectures, 0) as "liveLectures",
      round(lv.rate, 4)::float8 as "liveAttendanceRate"
    from counts n
    join companies co on co.id = n.company_id
    join courses c on c.id = n.course_id
    left join lectures t on t.company_id = n.company_id and t.course_id = n.course_id
    left join live lv on lv.company_id = n.company_id and lv.course_id = n.course_id
    order by co.name, c.title, co.id, c.id`.execute(trx),
  );
  return rows;
}

/** Each course the institution has published (or since archived): its ratings, average and spread. */
export async function ratings(db: Kysely<Database>, caller: Caller, institutionId: string) {
  await assertReader(db, caller, institutionId);
  const { rows } = await planned(db, (trx) =>
    sql<{
      courseId: string;
      title: string;
      ratings: number;
      average: number | null;
      distribution: number[];
    }>`
    select c.id as "courseId", c.title,
      count(r.stars)::int as ratings,
      round(avg(r.stars), 2)::float8 as average,
      array[
        count(*) filter (where r.stars = 1), count(*) filter (where r.stars = 2),
        count(*) filter (where r.stars = 3), count(*) filter (where r.stars = 4),
        count(*) filter (where r.stars = 5)]::int[] as distribution
    from courses c
    left join course_ratings r on r.course_id = c.id
    where c.institution_id = ${institutionId} and c.state <> 'draft'
    group by c.id, c.title
    order by c.title, c.id`.execute(trx),
  );
  return rows;
}
