import { type Kysely, sql } from 'kysely';
import type { Database, LearningAuditTable } from '../db/schema';
import { HttpError } from '../http/errors';
import { notFound, type Caller } from '../http/identity';
import { provisionFor } from '../provisions/provisions';
import type { AuditArchiveReader } from './audit-archive';

/**
 * The live lectures (`l`, of the enrollment `e`'s provision) a learner is held to: those that ended after
 * they enrolled, and any they attended. A lecture before someone was enrolled is not an absence of theirs;
 * it would otherwise lower the rate of everyone a company enrolls late. `la` is their attendance row, if any.
 */
export const LIVE_LECTURES_DUE = sql`(l.ended_at > e.created_at or la.enrollment_id is not null)`;

/**
 * Per-employee progress in one provision, for the company's dashboard and the institution: each enrolled
 * learner's completed video lessons out of the course's (live lecture recordings are no lessons: see
 * standingOf), the seconds they watched (recordings included), their completion, and
 * their live lectures (see `LIVE_LECTURES_DUE`): how many they attended (present for any time) out of
 * those due, and their mean attendance rate over those due, an absence counting 0 (null: none due yet).
 */
export async function provisionProgress(db: Kysely<Database>, caller: Caller, provisionId: string) {
  const provision = await provisionFor(db, caller, provisionId);
  const { rows } = await sql<{
    enrollmentId: string;
    userSub: string;
    email: string | null;
    lessonsCompleted: number;
    lessonsTotal: number;
    watchedSeconds: number;
    completedAt: Date | null;
    certificateOn: string | null;
    score: number | null;
    liveLecturesAttended: number;
    liveLecturesEnded: number;
    liveAttendanceRate: number | null;
  }>`
    with lessons as (
      select id from contents
      where course_id = ${provision.courseId} and kind = 'video' and state = 'active' and provision_id is null)
    select e.id as "enrollmentId", e.user_sub as "userSub", a.email,
      (select count(*)::int from content_progress p
        where p.enrollment_id = e.id and p.completed_at is not null
          and p.content_id in (select id from lessons)) as "lessonsCompleted",
      (select count(*)::int from lessons) as "lessonsTotal",
      (select coalesce(sum(p.covered_seconds), 0)::int from content_progress p
        where p.enrollment_id = e.id) as "watchedSeconds",
      e.completed_at as "completedAt", e.certificate_on::text as "certificateOn", e.score,
      live.attended as "liveLecturesAttended", live.ended as "liveLecturesEnded",
      live.rate as "liveAttendanceRate"
    from enrollments e
    left join affiliations a on a.company_id = ${provision.companyId} and a.user_sub = e.user_sub
    cross join lateral (
      select count(*)::int as ended,
        count(*) filter (where la.presence_seconds > 0)::int as attended,
        -- float8: both drivers give a number (numeric arrives from pg as text); avg of nothing is null.
        round(avg(coalesce(la.attendance_rate, 0)), 4)::float8 as rate
      from live_lectures l
      left join live_attendance la on la.lecture_id = l.lecture_id and la.enrollment_id = e.id
      where l.provision_id = e.provision_id and ${LIVE_LECTURES_DUE}) live
    where e.provision_id = ${provisionId}
    order by e.created_at`.execute(db);
  return rows;
}

/** PostgreSQL's JSON text of a timestamptz in UTC (as jsonb holds 0017's endedAt): no trailing zeros. */
function jsonbTimestamp(t: Date): string {
  const [seconds, fraction] = t.toISOString().slice(0, -1).split('.');
  const digits = (fraction ?? '').replace(/0+$/, '');
  return `${seconds}${digits ? `.${digits}` : ''}+00:00`;
}

/** jsonb's key order (shorter keys first, then bytewise), so a mapped detail serializes as a stored one. */
const inJsonbOrder = (detail: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(detail).sort(([a], [b]) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0)),
  );

/**
 * A credit's detail as the export presents it. A viewing run written in migration 0020's shape (told by its
 * 'c') comes out in 0017's, so an inspector reads every run alike whichever shape the trail holds: its
 * numbers as numbers, the positions as [from, to) pairs, endedAt as a time, the day, every session id and
 * rate (1x when none is named). Any other detail is presented as written. `at` is the entry's, which 0020's offsets count from.
 */
export function exportedDetail(detail: Record<string, unknown>, at: Date): Record<string, unknown> {
  if (!('c' in detail)) return detail;
  const { seconds, beats, c, e, d, s, r, ...rest } = detail;
  const utcDay = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  return inJsonbOrder({
    ...rest,
    seconds: Number(seconds),
    beats: Number(beats),
    covered: [...String(c).matchAll(/\[(-?\d+),(-?\d+)\)/g)].map((m) => [Number(m[1]), Number(m[2])]),
    endedAt: jsonbTimestamp(new Date(at.getTime() + Math.round(Number(e) * 1000))),
    day: new Date(utcDay + Number(d ?? 0) * 86_400_000).toISOString().slice(0, 10),
    sessionIds: Array.isArray(s) ? s : [s],
    playbackRates: r ?? [1],
  });
}

/**
 * One learner's audit trail in a provision: every credit, gate decision, completion and grade, oldest
 * first, and their live lectures (those due, attended or not) by start. For the institution that answers
 * for the training, and platform admins; not for the company.
 *
 * Credits come in two shapes (migration 0017): a viewing run (detail: seconds, beats, covered [from, to)
 * pairs, endedAt, day, sessionIds, playbackRates; `at` its first credit; `open: true` while it may still
 * grow, in which case it is not in the trail yet), and before 0017 one entry per credited beat (seconds,
 * from, to, sessionId, playbackRate), each as written; runs the trail holds in 0020's denser shape are
 * presented in 0017's (exportedDetail). Either way the credits' seconds add up to what was credited, and
 * their positions to the learner's progress.
 *
 * Months archived to S3 (migration 0019, audit-archive.ts) are read from their objects through `archive`,
 * those from the enrollment's month on, and merged by id: the answer is the same before and after.
 */
export async function learnerAudit(
  db: Kysely<Database>,
  caller: Caller,
  provisionId: string,
  enrollmentId: string,
  archive?: AuditArchiveReader,
) {
  // Whoever sees the provision sees its learners' trails: the institution for its auditors, and the company
  // that sent the learner, which answers for the training it claims (a subsidy claim cites this record).
  await provisionFor(db, caller, provisionId);
  const enrollment = await db
    .selectFrom('enrollments')
    .select(['id', 'user_sub', 'created_at'])
    .where('id', '=', enrollmentId)
    .where('provision_id', '=', provisionId)
    .executeTakeFirst();
  if (!enrollment) throw notFound('Enrollment');
  // The trail, and the viewing runs not over yet (learning_audit_open_runs, migration 0017) under the ids
  // their rows will have: every credited second shows at once, not only once its run is closed.
  const { rows: entries } = await sql<{
    id: string;
    kind: LearningAuditTable['kind'];
    contentId: string | null;
    detail: Record<string, unknown>;
    at: Date;
  }>`
    select id::text as id, kind, "contentId", detail, at from (
      select id, kind, content_id as "contentId", detail, at from learning_audit
      where enrollment_id = ${enrollmentId}
      union all
      select id, kind, content_id, detail, at from learning_audit_open_runs
      where enrollment_id = ${enrollmentId}) entries
    -- By the int8, not its text (as text, entry 10 would sort before entry 9).
    order by entries.id`.execute(db);
  // The archived months the enrollment lived in: none had a row of it before it was made.
  const archivedMonths = await db
    .selectFrom('learning_audit_archives')
    .select(['object_key as key', 'object_bytes as bytes'])
    .where(
      'month',
      '>=',
      sql<string>`date_trunc('month', ${enrollment.created_at}::timestamptz at time zone 'UTC')::date`,
    )
    .where('row_count', '>', '0')
    .orderBy('month')
    .execute();
  if (archivedMonths.length > 0) {
    if (!archive) throw new HttpError(503, 'The audit archive is not reachable from this service');
    const archived = await archive
      .entries(
        enrollmentId,
        archivedMonths.map((m) => ({ key: m.key, bytes: Number(m.bytes) })),
      )
      .catch(() => {
        // A trail with months missing is no answer: the inspector asks again once the store answers.
        throw new HttpError(503, 'The audit archive could not be read');
      });
    entries.push(...archived);
    entries.sort((a, b) => {
      const d = BigInt(a.id) - BigInt(b.id);
      return d < 0n ? -1 : d > 0n ? 1 : 0;
    });
  }
  // Live attendance is the live domain's report, replaced by a newer one, so it sits beside the
  // append-only trail rather than in it; absences are listed too, for they count in the rates.
  const { rows: liveLectures } = await sql<{
    lectureId: string;
    title: string;
    startedAt: Date;
    endedAt: Date;
    quizzesSent: number;
    attended: boolean;
    joinedAt: Date | null;
    presenceSeconds: number;
    attendanceRate: number;
    quizzesAnswered: number;
    quizzesCorrect: number;
    reportedAt: Date;
  }>`
    select l.lecture_id as "lectureId", l.title, l.started_at as "startedAt", l.ended_at as "endedAt",
      l.quizzes_sent as "quizzesSent", coalesce(la.presence_seconds > 0, false) as attended,
      la.joined_at as "joinedAt", coalesce(la.presence_seconds, 0) as "presenceSeconds",
      coalesce(la.attendance_rate, 0)::float8 as "attendanceRate",
      coalesce(la.quizzes_answered, 0) as "quizzesAnswered",
      coalesce(la.quizzes_correct, 0) as "quizzesCorrect",
      coalesce(la.occurred_at, l.occurred_at) as "reportedAt"
    from enrollments e
    join live_lectures l on l.provision_id = e.provision_id
    left join live_attendance la on la.lecture_id = l.lecture_id and la.enrollment_id = e.id
    where e.id = ${enrollmentId} and ${LIVE_LECTURES_DUE}
    order by l.started_at, l.lecture_id`.execute(db);
  return {
    enrollmentId,
    userSub: enrollment.user_sub,
    entries: entries.map((e) => (e.kind === 'credit' ? { ...e, detail: exportedDetail(e.detail, e.at) } : e)),
    liveLectures,
  };
}
