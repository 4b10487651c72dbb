import { type Kysely, sql } from 'kysely';
import type { ComplianceProfile } from '#contracts/compliance-profiles';
import type { Database } from '../db/schema';
import { courseRow } from '../courses/courses';
import { HttpError } from '../http/errors';
import { type Caller, notFound } from '../http/identity';
import { appendAudit } from '../learning/audit';
import { provisionFor } from '../provisions/provisions';
import { answeredQuestions, assertExamReader, examIn, sittingColumns } from './exams';
import { attemptColumns, attemptCounts, auditGrade, settleScore } from './sittings';

/*
 * The institution's side of exams: who sat an exam, what they answered, grades for short answers, and
 * retakes. Every grade and grant goes into the learner's audit trail.
 */

/** Everyone who sat an exam, latest sittings first, with what still waits for a grader. */
export async function listTakers(db: Kysely<Database>, caller: Caller, courseId: string, examId: string) {
  assertExamReader(caller, (await courseRow(db, courseId)).institutionId);
  await examIn(db, courseId, examId);
  return db
    .selectFrom('exam_attempts as a')
    .innerJoin('enrollments as e', 'e.id', 'a.enrollment_id')
    .innerJoin('provisions as p', 'p.id', 'e.provision_id')
    .leftJoin('affiliations as f', (j) =>
      j.onRef('f.company_id', '=', 'p.company_id').onRef('f.user_sub', '=', 'e.user_sub'),
    )
    .select([
      'a.id as attemptId',
      'a.enrollment_id as enrollmentId',
      'e.user_sub as userSub',
      'f.email',
      'p.id as provisionId',
      'p.company_id as companyId',
      'a.attempt_no as attemptNo',
      'a.started_at as startedAt',
      'a.deadline_at as deadlineAt',
      'a.submitted_at as submittedAt',
      'a.submitted_by as submittedBy',
      'a.score',
      sql<number>`(select count(*)::int from exam_answers x where x.attempt_id = a.id and x.points is null and a.submitted_at is not null)`.as(
        'pendingAnswers',
      ),
    ])
    .where('a.exam_id', '=', examId)
    .orderBy('a.started_at', 'desc')
    .execute();
}

/** One sitting with each question's right answer, the learner's response and the points awarded. */
export async function submission(
  db: Kysely<Database>,
  caller: Caller,
  courseId: string,
  examId: string,
  attemptId: string,
) {
  assertExamReader(caller, (await courseRow(db, courseId)).institutionId);
  await examIn(db, courseId, examId);
  const attempt = await db
    .selectFrom('exam_attempts as a')
    .innerJoin('enrollments as e', 'e.id', 'a.enrollment_id')
    .select([...sittingColumns, 'e.user_sub as userSub'])
    .where('a.id', '=', attemptId)
    .where('a.exam_id', '=', examId)
    .executeTakeFirst();
  if (!attempt) throw notFound('Sitting');
  return { ...attempt, questions: await answeredQuestions(db, examId, attemptId) };
}

/**
 * Grades one short answer of a submitted sitting. A regrade replaces the points; once no answer waits,
 * the sitting is scored, which may complete the course.
 */
export async function gradeAnswer(
  db: Kysely<Database>,
  caller: Caller,
  courseId: string,
  examId: string,
  attemptId: string,
  questionId: string,
  points: number,
  profile: ComplianceProfile,
  now: Date,
) {
  const course = await courseRow(db, courseId);
  if (caller.institutionId !== course.institutionId) throw notFound('Course');
  await db.transaction().execute(async (trx) => {
    await examIn(trx, courseId, examId);
    const attempt = await trx
      .selectFrom('exam_attempts as a')
      .innerJoin('enrollments as e', 'e.id', 'a.enrollment_id')
      .select([...attemptColumns, 'a.submitted_at'])
      .where('a.id', '=', attemptId)
      .where('a.exam_id', '=', examId)
      .forUpdate('a')
      .executeTakeFirst();
    if (!attempt) throw notFound('Sitting');
    const question = await trx
      .selectFrom('exam_questions')
      .select(['kind', 'points'])
      .where('id', '=', questionId)
      .where('exam_id', '=', examId)
      .executeTakeFirst();
    if (!question) throw notFound('Question');
    if (question.kind !== 'short') throw new HttpError(409, 'Multiple choice is graded automatically');
    if (!attempt.submitted_at) throw new HttpError(409, 'The sitting is not submitted yet');
    if (points > question.points)
      throw new HttpError(400, 'Invalid body.points', [
        { field: 'body.points', message: `must be at most ${question.points}` },
      ]);
    const grade = { points, graded_by: caller.sub, graded_at: now };
    // An unanswered question has no row; grading it records the grader's zero (or more) all the same.
    await trx
      .insertInto('exam_answers')
      .values({ attempt_id: attemptId, question_id: questionId, saved_at: attempt.submitted_at, ...grade })
      .onConflict((oc) => oc.columns(['attempt_id', 'question_id']).doUpdateSet(grade))
      .execute();
    await auditGrade(trx, attempt, now, {
      questionId,
      points,
      maxPoints: question.points,
      gradedBy: caller.sub,
    });
    await settleScore(trx, attempt, profile, now);
  });
  return submission(db, caller, courseId, examId, attemptId);
}

/**
 * The institution grants a learner one more sitting of an exam, with its reason on the record. Only when
 * the profile limits attempts and the learner has used theirs, so grants cannot pile up in advance.
 */
export async function grantRetake(
  db: Kysely<Database>,
  caller: Caller,
  provisionId: string,
  enrollmentId: string,
  examId: string,
  reason: string,
  profile: ComplianceProfile,
  now: Date,
) {
  const provision = await provisionFor(db, caller, provisionId);
  if (caller.institutionId !== provision.institutionId) throw notFound('Provision');
  if (caller.institutionRole !== 'institution-manager')
    throw new HttpError(403, 'Only the institution’s managers grant retakes');
  if (profile.examAttempts === null)
    throw new HttpError(409, 'Attempts are not limited: there is nothing to grant');
  return db.transaction().execute(async (trx) => {
    const enrollment = await trx
      .selectFrom('enrollments')
      .select(['id', 'user_sub'])
      .where('id', '=', enrollmentId)
      .where('provision_id', '=', provisionId)
      .forUpdate()
      .executeTakeFirst();
    if (!enrollment) throw notFound('Enrollment');
    const exam = await examIn(trx, provision.courseId, examId);
    if (exam.state !== 'active') throw notFound('Exam');
    const { used, granted, open } = await attemptCounts(trx, enrollmentId, examId);
    const allowed = profile.examAttempts! + granted;
    if (open > 0 || used < allowed)
      throw new HttpError(409, 'The learner has a sitting left: a retake is granted once it is used');
    const retake = await trx
      .insertInto('exam_retakes')
      .values({
        exam_id: examId,
        enrollment_id: enrollmentId,
        reason,
        granted_by: caller.sub,
        granted_at: now,
      })
      .returning(['id', 'granted_at as grantedAt'])
      .executeTakeFirstOrThrow();
    await appendAudit(
      trx,
      { enrollmentId, userSub: enrollment.user_sub, kind: 'gate', contentId: examId, at: now },
      { gate: 'exam', decision: 'retake', reason, grantedBy: caller.sub, attemptsAllowed: allowed + 1 },
    );
    return {
      id: retake.id,
      examId,
      enrollmentId,
      reason,
      grantedBy: caller.sub,
      grantedAt: retake.grantedAt,
      attemptsAllowed: allowed + 1,
    };
  });
}
