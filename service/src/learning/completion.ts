import { type Kysely, sql, type Transaction } from 'kysely';
import type { ComplianceProfile } from '#contracts/compliance-profiles';
import type { Database } from '../db/schema';
import { emit } from '../events/outbox';
import { appendAudit } from './audit';
import { dayIn } from './days';

/** Where a learner stands in a course: lessons completed, and the evaluation score so far. */
export interface Standing {
  readonly lessonsCompleted: number;
  readonly lessonsTotal: number;
  /** Completed video lessons over the course's active ones (1 for a course without videos). */
  readonly progressShare: number;
  readonly exams: number;
  /** Exams without a graded attempt yet. */
  readonly examsUngraded: number;
  /**
   * The exams' scores weighted by each exam's weight, each exam's latest graded attempt counting (an
   * exam not yet graded counts 0), rounded down: a learner is never rounded up to a pass. Null without
   * exams.
   */
  readonly score: number | null;
}

/**
 * Lessons are the course's active videos of no provision. A live lecture's recording (a content with a
 * provision) is catch-up material: watching it is credited (content_progress, watched seconds) but it is
 * never a lesson, or a recording would make learners who completed the course incomplete again, and the
 * course's lessons would differ per company. The company dashboard and `myEnrollments` count alike.
 */
export async function standingOf(
  db: Kysely<Database> | Transaction<Database>,
  enrollmentId: string,
): Promise<Standing> {
  const { rows } = await sql<{
    lessonsCompleted: number;
    lessonsTotal: number;
    exams: number;
    examsUngraded: number;
    score: number | null;
  }>`
    with enrollment as (select course_id from enrollments where id = ${enrollmentId}),
    lessons as (
      select x.id from contents x, enrollment e
      where x.course_id = e.course_id and x.kind = 'video' and x.state = 'active' and x.provision_id is null),
    graded as (
      select ex.weight,
        (select a.score from exam_attempts a
          where a.exam_id = x.id and a.enrollment_id = ${enrollmentId} and a.score is not null
          order by a.attempt_no desc limit 1) as score
      from contents x join exams ex on ex.content_id = x.id, enrollment e
      where x.course_id = e.course_id and x.state = 'active')
    select
      (select count(*)::int from content_progress p
        where p.enrollment_id = ${enrollmentId} and p.completed_at is not null
          and p.content_id in (select id from lessons)) as "lessonsCompleted",
      (select count(*)::int from lessons) as "lessonsTotal",
      (select count(*)::int from graded) as exams,
      (select count(*)::int from graded where score is null) as "examsUngraded",
      (select floor(sum(weight * coalesce(score, 0))::numeric / nullif(sum(weight), 0))::int
        from graded) as score`.execute(db);
  const r = rows[0]!;
  return { ...r, progressShare: r.lessonsTotal === 0 ? 1 : r.lessonsCompleted / r.lessonsTotal };
}

/**
 * Completes the enrollment once the profile's rule holds: enough of the course watched and, where the
 * profile sets a minimum score, every exam graded with a weighted score at least that. Completion is
 * recorded once, with the certificate date (the day in the profile's time zone), and never taken back.
 * Called in the transaction of every change that can complete a course: a lesson completed, an exam graded.
 */
export async function evaluateCompletion(
  trx: Transaction<Database>,
  enrollmentId: string,
  profile: ComplianceProfile,
  now: Date,
): Promise<boolean> {
  // Locked, so two changes completing the course at once record it once.
  const enrollment = await trx
    .selectFrom('enrollments')
    .select(['user_sub', 'completed_at'])
    .where('id', '=', enrollmentId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (enrollment.completed_at) return true;
  const standing = await standingOf(trx, enrollmentId);
  const rule = profile.courseCompletion;
  if (standing.progressShare < rule.minProgressShare) return false;
  // A course without exams has nothing to score: its progress decides.
  if (rule.minScore !== null && standing.exams > 0) {
    if (standing.examsUngraded > 0 || standing.score === null || standing.score < rule.minScore) return false;
  }
  const score = standing.exams > 0 && standing.examsUngraded === 0 ? standing.score : null;
  const certificateOn = dayIn(now, profile.timeZone);
  await trx
    .updateTable('enrollments')
    .set({ completed_at: now, certificate_on: certificateOn, score })
    .where('id', '=', enrollmentId)
    .execute();
  await emitCompleted(trx, enrollmentId, now, certificateOn, score);
  await appendAudit(
    trx,
    { enrollmentId, userSub: enrollment.user_sub, kind: 'completion', contentId: null, at: now },
    {
      course: true,
      certificateOn,
      progressShare: standing.progressShare,
      lessonsCompleted: standing.lessonsCompleted,
      lessonsTotal: standing.lessonsTotal,
      score,
      rule,
    },
  );
  return true;
}

/**
 * `enrollment.completed`, in the completion's transaction: with what a certificate of it says, as it is now
 * (a course renamed later keeps its certificates as issued). Hours are the course's active video lessons,
 * the same lessons completion counts (live recordings are not lessons).
 */
async function emitCompleted(
  trx: Transaction<Database>,
  enrollmentId: string,
  now: Date,
  certificateOn: string,
  score: number | null,
): Promise<void> {
  const { rows } = await sql<{
    provisionId: string;
    courseId: string;
    institutionId: string;
    companyId: string | null;
    userSub: string;
    courseTitle: string;
    institutionName: string;
    institutionCertificationNumber: string;
    periodStart: string;
    periodEnd: string;
    videoSeconds: number;
  }>`select e.provision_id as "provisionId", e.course_id as "courseId", p.institution_id as "institutionId",
        p.company_id as "companyId", e.user_sub as "userSub", c.title as "courseTitle",
        i.name as "institutionName", i.certification_number as "institutionCertificationNumber",
        p.starts_on::text as "periodStart", p.ends_on::text as "periodEnd",
        (select coalesce(sum(x.duration_seconds), 0)::int from contents x
          where x.course_id = e.course_id and x.kind = 'video' and x.state = 'active' and x.provision_id is null)
          as "videoSeconds"
      from enrollments e
      join provisions p on p.id = e.provision_id
      join courses c on c.id = e.course_id
      join institutions i on i.id = p.institution_id
      where e.id = ${enrollmentId}`.execute(trx);
  const { videoSeconds, ...facts } = rows[0]!;
  await emit(trx, 'enrollment.completed', {
    ...facts,
    enrollmentId,
    completedAt: now.toISOString(),
    certificateOn,
    score,
    hours: Math.round(videoSeconds / 360) / 10,
  });
}
