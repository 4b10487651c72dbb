import { type Kysely, sql } from 'kysely';
import type { ComplianceProfile } from '#contracts/compliance-profiles';
import type { Database } from '../db/schema';
import { emitAll } from '../events/outbox';
import { paceOf, type PaceVerdict, REMINDED_VERDICTS } from './pace';

/** Enrollments per page: one short transaction and one outbox insert each, bounded memory however many. */
export const PACE_PAGE_SIZE = 1000;

export interface PaceScan {
  readonly day: string;
  /** Running, uncompleted enrollments looked at. */
  readonly enrollments: number;
  /** Reminders recorded by this run (and their events); a second run of the day records none. */
  readonly reminded: number;
  readonly behind: number;
  readonly lastChance: number;
  /** Company digests recorded by this run (at most one per company per ISO week). */
  readonly digests: number;
}

/** A company's counts for its weekly digest; each enrollment counts in one of them at most. */
interface Tally {
  enrollments: number;
  notStarted: number;
  behind: number;
  unreachable: number;
}

interface Candidate {
  enrollmentId: string;
  provisionId: string;
  courseId: string;
  userSub: string;
  companyId: string | null;
  courseTitle: string;
  periodStart: string;
  periodEnd: string;
  lessonsCompleted: number;
  lessonsTotal: number;
  /** Anything watched at all. */
  started: boolean;
}

/** The ISO 8601 week of a day, `2026-W51`: weeks begin on Monday, and week 1 holds the year's first Thursday. */
export function isoWeekOf(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  const weekday = (date.getUTCDay() + 6) % 7;
  // The Thursday of the same week decides its year.
  const thursday = new Date(date.getTime() + (3 - weekday) * 86_400_000);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * 86_400_000)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/**
 * The daily pace scan for `day` (a date in the profile's time zone): every enrollment of a provision that
 * runs that day (accepted, the day within its period; a company's or an open session's) and is not
 * completed is judged by `paceOf`, and those `behind` or at their `last-chance` get a reminder: a row in
 * pace_reminders (one per enrollment per day, by its key) and a `pace.reminder-due` event, in the same
 * transaction and only for rows this run inserted. Running it again the same day, or concurrently,
 * reminds nobody twice: the second insert finds the key taken and emits nothing.
 *
 * The same pass tallies each company's enrollments for its weekly digest (see `recordDigests`).
 *
 * Lessons are counted as `standingOf` counts them (the course's active videos of no provision). Pages go
 * by enrollment id, each its own transaction, so a national platform's enrollments are never all loaded
 * at once and no transaction outlives its page.
 */
export async function recordPaceReminders(
  db: Kysely<Database>,
  profile: ComplianceProfile,
  day: string,
  pageSize = PACE_PAGE_SIZE,
): Promise<PaceScan> {
  let after: string | null = null;
  const counts = { enrollments: 0, reminded: 0, behind: 0, lastChance: 0 };
  const tallies = new Map<string, Tally>();
  for (;;) {
    const page: Candidate[] = await db.transaction().execute(async (trx) => {
      const { rows } = await sql<Candidate>`
        with page as (
          select e.id, e.provision_id, e.course_id, e.user_sub, p.company_id, p.starts_on, p.ends_on
          from enrollments e join provisions p on p.id = e.provision_id
          where p.state = 'accepted' and p.starts_on <= ${day}::date and p.ends_on >= ${day}::date
            and e.completed_at is null
            and (${after}::uuid is null or e.id > ${after}::uuid)
          order by e.id
          limit ${pageSize})
        select g.id as "enrollmentId", g.provision_id as "provisionId", g.course_id as "courseId",
          g.user_sub as "userSub", g.company_id as "companyId", c.title as "courseTitle",
          g.starts_on::text as "periodStart", g.ends_on::text as "periodEnd",
          (select count(*)::int from content_progress cp join contents x on x.id = cp.content_id
            where cp.enrollment_id = g.id and cp.completed_at is not null
              and x.course_id = g.course_id and x.kind = 'video' and x.state = 'active'
              and x.provision_id is null) as "lessonsCompleted",
          (select count(*)::int from contents x
            where x.course_id = g.course_id and x.kind = 'video' and x.state = 'active'
              and x.provision_id is null) as "lessonsTotal",
          exists (select 1 from content_progress cp
            where cp.enrollment_id = g.id and cp.covered_seconds > 0) as started
        from page g join courses c on c.id = g.course_id
        order by g.id`.execute(trx);
      const due = rows.flatMap((r) => {
        const pace = paceOf({ ...r, today: day, profile });
        if (r.companyId) tally(tallies, r.companyId, r.started, pace.verdict);
        return REMINDED_VERDICTS.includes(pace.verdict)
          ? [{ ...r, verdict: pace.verdict as 'behind' | 'last-chance', pace }]
          : [];
      });
      if (due.length === 0) return rows;
      const inserted = await trx
        .insertInto('pace_reminders')
        .values(due.map((d) => ({ enrollment_id: d.enrollmentId, day, verdict: d.verdict })))
        .onConflict((oc) => oc.columns(['enrollment_id', 'day']).doNothing())
        .returning('enrollment_id')
        .execute();
      const fresh = new Set(inserted.map((i) => i.enrollment_id));
      const reminded = due.filter((d) => fresh.has(d.enrollmentId));
      await emitAll(
        trx,
        'pace.reminder-due',
        reminded.map((d) => ({
          enrollmentId: d.enrollmentId,
          provisionId: d.provisionId,
          courseId: d.courseId,
          userSub: d.userSub,
          companyId: d.companyId,
          day,
          verdict: d.verdict,
          lessonsNeeded: d.pace.lessonsNeeded,
          daysLeft: d.pace.daysLeft,
          courseTitle: d.courseTitle,
        })),
      );
      counts.reminded += reminded.length;
      counts.behind += reminded.filter((d) => d.verdict === 'behind').length;
      counts.lastChance += reminded.filter((d) => d.verdict === 'last-chance').length;
      return rows;
    });
    counts.enrollments += page.length;
    if (page.length < pageSize) break;
    after = page[page.length - 1]!.enrollmentId;
  }
  const digests = await recordDigests(db, day, tallies, pageSize);
  return { day, ...counts, digests };
}

function tally(tallies: Map<string, Tally>, companyId: string, started: boolean, verdict: PaceVerdict): void {
  let t = tallies.get(companyId);
  if (!t) tallies.set(companyId, (t = { enrollments: 0, notStarted: 0, behind: 0, unreachable: 0 }));
  t.enrollments += 1;
  if (verdict === 'unreachable') t.unreachable += 1;
  else if (!started) t.notStarted += 1;
  else if (verdict === 'behind' || verdict === 'last-chance') t.behind += 1;
}

/**
 * One `company.pace-digest-due` per company per ISO week, for companies with someone to report: the first
 * scan of the week that finds any records it (a week with nothing to report until Thursday gets its
 * digest on Thursday). Insert-then-emit as the reminders, in pages of companies.
 */
async function recordDigests(
  db: Kysely<Database>,
  day: string,
  tallies: ReadonlyMap<string, Tally>,
  pageSize: number,
): Promise<number> {
  const week = isoWeekOf(day);
  const reportable = [...tallies].filter(([, t]) => t.notStarted + t.behind + t.unreachable > 0);
  let recorded = 0;
  for (let i = 0; i < reportable.length; i += pageSize) {
    const page = reportable.slice(i, i + pageSize);
    recorded += await db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('pace_digests')
        .values(page.map(([companyId]) => ({ company_id: companyId, week })))
        .onConflict((oc) => oc.columns(['company_id', 'week']).doNothing())
        .returning('company_id')
        .execute();
      const fresh = new Set(inserted.map((r) => r.company_id));
      const digests = page.filter(([companyId]) => fresh.has(companyId));
      await emitAll(
        trx,
        'company.pace-digest-due',
        digests.map(([companyId, t]) => ({ companyId, week, day, ...t })),
      );
      return digests.length;
    });
  }
  return recorded;
}
