import { type Kysely, sql } from 'kysely';
import * as z from 'zod';
import type { Database } from '../db/schema';
import { type Caller, notFound } from '../http/identity';
import { cursorText, decodeCursor, encodeCursor } from '../http/page-cursor';

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
 * Enrollments per month and course, most enrolled first and at most `top` courses a month; every month of the
 * range is there, empty or not, so a chart needs no gap filling. A month is the compliance profile's, not the
 * server's: read from the counts kept per course and month (migrations/0016) when they are kept in that
 * zone, as the service keeps them from its start (time-zone.ts), and counted from the enrollments otherwise.
 */
export async function popularCourses(
  db: Kysely<Database>,
  caller: Caller,
  institutionId: string,
  range: MonthRange & { readonly top: number },
  timeZone: string,
) {
  await assertReader(db, caller, institutionId);
  const first = `${range.from}-01`;
  const last = `${range.to}-01`;
  const { rows } = await planned(db, async (trx) => {
    const kept = await keptTimeZone(trx);
    const counts =
      kept === timeZone
        ? sql`
          select to_char(m.month, 'YYYY-MM') as month, c.id, c.title, m.enrollments
          from course_month_enrollments m
          join courses c on c.id = m.course_id
          where c.institution_id = ${institutionId} and m.enrollments > 0
            and m.month between ${first}::date and ${last}::date`
        : // Grouped by the truncated month and course id first: naming the month (to_char) and the course
          // (title) once a group rather than once an enrollment.
          sql`
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
          join courses c on c.id = n.course_id`;
    return sql<{
      month: string;
      courses: { courseId: string; title: string; enrollments: number }[];
    }>`
    with months as (
      select to_char(m, 'YYYY-MM') as month
      from generate_series(${first}::timestamp, ${last}::timestamp, interval '1 month') m),
    counts as (${counts}),
    ranked as (
      select n.*, row_number() over (partition by n.month order by n.enrollments desc, n.title, n.id) as rank
      from counts n)
    select m.month,
      coalesce(
        json_agg(json_build_object('courseId', n.id, 'title', n.title, 'enrollments', n.enrollments)
          order by n.rank) filter (where n.id is not null),
        '[]') as courses
    from months m
    left join ranked n on n.month = m.month and n.rank <= ${range.top}
    group by m.month
    order by m.month`.execute(trx);
  });
  return rows;
}

/** The zone whose months the per-course counts are kept in. */
async function keptTimeZone(trx: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ timeZone: string }>`
    select time_zone as "timeZone" from analytics_settings`.execute(trx);
  return rows[0]!.timeZone;
}

const PERIODS = {
  month: { unit: 'month', step: '1 month', label: 'YYYY-MM' },
  quarter: { unit: 'quarter', step: '3 months', label: 'YYYY-"Q"Q' },
} as const;

/**
 * Per month or quarter (whole quarters, from the one holding `from` to the one holding `to`): the accepted
 * provisions running at some time in it, their companies and the learners enrolled in them. Provision
 * periods are calendar dates of the compliance profile's zone already, so no conversion is needed. All three
 * are counted as provisions and enrollments change (institution_period_provisions and _counts,
 * migrations/0016): distinct learners of a year of a large history were otherwise a sort of every enrollment
 * of every period, and the running provisions a scan of all of the institution's.
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
      select p::date as starts, to_char(p, ${label}::text) as period
      from generate_series(
        date_trunc(${unit}::text, ${`${range.from}-01`}::timestamp),
        date_trunc(${unit}::text, ${`${range.to}-01`}::timestamp),
        ${step}::interval) p)
    select t.period,
      coalesce(p.companies, 0) as companies,
      coalesce(l.learners, 0) as learners,
      coalesce(p.provisions, 0) as "runningProvisions"
    from periods t
    left join institution_period_provisions p
      on p.institution_id = ${institutionId} and p.period = ${unit}::text and p.starts = t.starts
    left join institution_period_counts l
      on l.institution_id = ${institutionId} and l.period = ${unit}::text and l.starts = t.starts
    order by t.starts`.execute(trx),
  );
  return rows;
}

/** One company's or one course's rows (or both) of the completion figures; all when neither. */
export interface CompletionFilter {
  readonly companyId?: string | undefined;
  readonly courseId?: string | undefined;
}

/** A page of a listing: at most `limit` rows, after the row the cursor names. */
export interface Page {
  readonly limit: number;
  readonly cursor?: string | undefined;
}

const completionCursor = z.tuple([cursorText, z.uuid(), cursorText, z.uuid()]);

/**
 * Per company and course of the institution's accepted provisions, by company (name) and course title, a page
 * at a time: who enrolled, who took part at all (credited watching, an exam sitting, or presence at a live
 * lecture) and who completed, with the shares of the enrolled (`attendanceRate` is that share of
 * participants). Live lectures on their own: `liveLectures`, how many of those provisions' lectures ended,
 * and `liveAttendanceRate`, the mean attendance rate (presence over the streamed time) over every enrolled
 * learner and every lecture due to them (records.ts `LIVE_LECTURES_DUE`), an absence counting 0; null while
 * no lecture is due. The counts are kept per company and course (company_course_counts, migrations/0016),
 * the live figures per provision (provision_live_counts, migrations/0018).
 */
export async function completion(
  db: Kysely<Database>,
  caller: Caller,
  institutionId: string,
  only: CompletionFilter & Page,
) {
  await assertReader(db, caller, institutionId);
  const after = only.cursor ? decodeCursor(completionCursor, only.cursor) : undefined;
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
    -- Companies in name order, each one's courses read from its own counts (the key's prefix, sorted and cut
    -- to the page in the lateral, so that the planner reads them by the key rather than every company's
    -- counts at once) until the page is full: a page reads its own rows, not the institution's history.
    with page as (
      select co.id as company_id, co.name as company_name, x.course_id, x.course_title,
        x.enrolled, x.attended, x.completed
      from companies co
      cross join lateral (
        select n.course_id, c.title as course_title, n.enrolled, n.attended, n.completed
        from company_course_counts n
        join courses c on c.id = n.course_id
        where n.institution_id = ${institutionId} and n.company_id = co.id and n.provisions > 0
          ${only.courseId ? sql`and n.course_id = ${only.courseId}` : sql``}
          ${after ? sql`and (co.name, co.id, c.title, n.course_id) > (${after[0]}, ${after[1]}::uuid, ${after[2]}, ${after[3]}::uuid)` : sql``}
        order by c.title, n.course_id
        limit ${only.limit + 1}) x
      where true
        ${only.companyId ? sql`and co.id = ${only.companyId}` : sql``}
        ${after ? sql`and (co.name, co.id) >= (${after[0]}, ${after[1]}::uuid)` : sql``}
      order by co.name, co.id, x.course_title, x.course_id
      limit ${only.limit + 1})
    select p.company_id as "companyId", p.company_name as "companyName", p.course_id as "courseId",
      p.course_title as "courseTitle", p.enrolled, p.attended, p.completed,
      -- float8: both drivers give a number (numeric arrives from pg as text).
      coalesce(round(p.attended::numeric / nullif(p.enrolled, 0), 4), 0)::float8 as "attendanceRate",
      coalesce(round(p.completed::numeric / nullif(p.enrolled, 0), 4), 0)::float8 as "completionRate",
      coalesce(lv.lectures, 0) as "liveLectures",
      round(lv.rate_sum / nullif(lv.due, 0), 4)::float8 as "liveAttendanceRate"
    from page p
    -- The live figures kept per provision (provision_live_counts, migrations/0018), summed over each row's
    -- accepted provisions, found by company and course (provisions_accepted_pair).
    cross join lateral (
      select sum(k.lectures)::int as lectures, sum(k.due) as due, sum(k.rate_sum) as rate_sum
      from provisions v
      join provision_live_counts k on k.provision_id = v.id
      where v.company_id = p.company_id and v.course_id = p.course_id
        and v.institution_id = ${institutionId} and v.state = 'accepted') lv
    order by p.company_name, p.company_id, p.course_title, p.course_id`.execute(trx),
  );
  const page = rows.slice(0, only.limit);
  const last = page.at(-1);
  return {
    rows: page,
    ...(rows.length > only.limit && last
      ? { cursor: encodeCursor([last.companyName, last.companyId, last.courseTitle, last.courseId]) }
      : {}),
  };
}

const ratingsCursor = z.tuple([z.number().int().min(0), cursorText, z.uuid()]);

/**
 * Each course the institution has published (or since archived), most rated first, a page at a time: its
 * ratings, average and spread, from the counts kept per course (course_rating_counts, migrations/0016).
 */
export async function ratings(db: Kysely<Database>, caller: Caller, institutionId: string, page: Page) {
  await assertReader(db, caller, institutionId);
  const after = page.cursor ? decodeCursor(ratingsCursor, page.cursor) : undefined;
  const { rows } = await planned(db, (trx) =>
    sql<{
      courseId: string;
      title: string;
      ratings: number;
      average: number | null;
      distribution: number[];
    }>`
    select courseId as "courseId", title, ratings, average, distribution from (
      select c.id as courseid, c.title,
        coalesce((select sum(s) from unnest(r.stars) s), 0)::int as ratings,
        round(
          (select sum(s * i)::numeric / nullif(sum(s), 0) from unnest(r.stars) with ordinality as u(s, i)),
          2)::float8 as average,
        coalesce(r.stars, '{0,0,0,0,0}')::int[] as distribution
      from courses c
      left join course_rating_counts r on r.course_id = c.id
      where c.institution_id = ${institutionId} and c.state <> 'draft') x
    ${after ? sql`where (-ratings, title, courseid) > (${-after[0]}, ${after[1]}, ${after[2]}::uuid)` : sql``}
    order by ratings desc, title, courseid
    limit ${page.limit + 1}`.execute(trx),
  );
  const shown = rows.slice(0, page.limit);
  const last = shown.at(-1);
  return {
    courses: shown,
    ...(rows.length > page.limit && last
      ? { cursor: encodeCursor([last.ratings, last.title, last.courseId]) }
      : {}),
  };
}
