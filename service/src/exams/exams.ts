import { type Kysely, sql, type Transaction } from 'kysely';
import type { ComplianceProfile } from '#contracts/compliance-profiles';
import type { Database } from '../db/schema';
import { HttpError } from '../http/errors';
import { type Caller, notFound } from '../http/identity';
import { courseRow } from '../courses/courses';
import { contentIn, dropContent, editCurriculum, insertContent } from '../courses/curriculum';

/*
 * Exams, as their institution writes them. An exam is a content of kind 'exam' in the curriculum (it is
 * renamed, moved and archived like any content); its stage, weight and questions live beside it. Its
 * questions are fixed once a learner has sat it: answers and grades refer to them.
 */

type Db = Kysely<Database> | Transaction<Database>;

export type Question =
  | {
      readonly kind: 'choice';
      readonly prompt: string;
      readonly choices: readonly string[];
      /** Index of the right choice. */
      readonly answer: number;
      readonly points: number;
    }
  | { readonly kind: 'short'; readonly prompt: string; readonly points: number };

export interface ExamInput {
  readonly title: string;
  readonly stage: 'mid' | 'final';
  readonly weight: number;
  readonly questions: readonly Question[];
}

/**
 * The rules an exam runs under, which are its institution's compliance profile's rather than the exam's:
 * the clock, attempts, the pass mark (of the course's score) and the progress at which its stage opens.
 */
export function examRules(profile: ComplianceProfile, stage: 'mid' | 'final') {
  return {
    minutes: profile.examMinutes,
    attempts: profile.examAttempts,
    passMark: profile.courseCompletion.minScore,
    opensAtProgress: profile.examGates?.[stage] ?? 0,
  };
}

/** An exam's readers: its institution's people, and platform admins (who change nothing). */
export function assertExamReader(caller: Caller, institutionId: string): void {
  if (caller.institutionId !== institutionId && !caller.has('platform-admin')) throw notFound('Course');
}

/** The exam (an active or archived exam content) of a course, or 404. */
export async function examIn(db: Db, courseId: string, examId: string) {
  const exam = await db
    .selectFrom('contents as x')
    .innerJoin('exams as e', 'e.content_id', 'x.id')
    .select([
      'x.id',
      'x.course_id as courseId',
      'x.chapter_id as chapterId',
      'x.title',
      'x.position',
      'x.state',
      'e.stage',
      'e.weight',
    ])
    .where('x.id', '=', examId)
    .where('x.course_id', '=', courseId)
    .executeTakeFirst();
  if (!exam) throw notFound('Exam');
  return exam;
}

async function questionsOf(db: Db, examId: string) {
  return db
    .selectFrom('exam_questions')
    .select(['id', 'kind', 'prompt', 'choices', 'answer', 'points'])
    .where('exam_id', '=', examId)
    .orderBy('position')
    .execute();
}

/** An attempt's columns as both sides see a sitting. */
export const sittingColumns = [
  'a.id',
  'a.exam_id as examId',
  'a.enrollment_id as enrollmentId',
  'a.attempt_no as attemptNo',
  'a.started_at as startedAt',
  'a.deadline_at as deadlineAt',
  'a.submitted_at as submittedAt',
  'a.submitted_by as submittedBy',
  'a.max_points as maxPoints',
  'a.score',
] as const;

/** An exam's questions, each with a sitting's response (null if none was saved) and its grade. */
export async function answeredQuestions(db: Db, examId: string, attemptId: string) {
  const rows = await db
    .selectFrom('exam_questions as q')
    .leftJoin('exam_answers as x', (j) =>
      j.onRef('x.question_id', '=', 'q.id').on('x.attempt_id', '=', attemptId),
    )
    .select([
      'q.id',
      'q.kind',
      'q.prompt',
      'q.choices',
      'q.answer',
      'q.points',
      'x.choice',
      'x.text',
      'x.saved_at as savedAt',
      'x.points as awardedPoints',
      'x.graded_by as gradedBy',
      'x.graded_at as gradedAt',
    ])
    .where('q.exam_id', '=', examId)
    .orderBy('q.position')
    .execute();
  return rows.map(({ choice, text, savedAt, ...q }) => ({
    ...q,
    response: savedAt ? { choice, text, savedAt } : null,
  }));
}

async function examView(db: Db, courseId: string, examId: string) {
  const exam = await examIn(db, courseId, examId);
  const questions = await questionsOf(db, examId);
  return { ...exam, maxPoints: questions.reduce((sum, q) => sum + q.points, 0), questions };
}

async function insertQuestions(trx: Transaction<Database>, examId: string, questions: readonly Question[]) {
  await trx
    .insertInto('exam_questions')
    .values(
      questions.map((q, position) => ({
        exam_id: examId,
        position,
        kind: q.kind,
        prompt: q.prompt,
        choices: q.kind === 'choice' ? JSON.stringify(q.choices) : null,
        answer: q.kind === 'choice' ? q.answer : null,
        points: q.points,
      })),
    )
    .execute();
}

async function assertNotSat(trx: Transaction<Database>, examId: string, what: string) {
  const sat = await trx
    .selectFrom('exam_attempts')
    .select('id')
    .where('exam_id', '=', examId)
    .executeTakeFirst();
  if (sat) throw new HttpError(409, `Learners have sat this exam: ${what}`);
}

/** Appends an exam with its questions to a chapter. */
export async function createExam(
  db: Kysely<Database>,
  caller: Caller,
  courseId: string,
  input: ExamInput & { readonly chapterId: string },
) {
  const id = await editCurriculum(db, caller, courseId, async (trx) => {
    const content = await insertContent(trx, courseId, input.chapterId, { kind: 'exam', title: input.title });
    await trx
      .insertInto('exams')
      .values({ content_id: content.id, stage: input.stage, weight: input.weight })
      .execute();
    await insertQuestions(trx, content.id, input.questions);
    return content.id;
  });
  return examView(db, courseId, id);
}

export async function getExam(db: Kysely<Database>, caller: Caller, courseId: string, examId: string) {
  assertExamReader(caller, (await courseRow(db, courseId)).institutionId);
  return examView(db, courseId, examId);
}

/** A course's exams in curriculum order, archived ones last, with what learners did with them. */
export async function listExams(db: Kysely<Database>, caller: Caller, courseId: string) {
  assertExamReader(caller, (await courseRow(db, courseId)).institutionId);
  return db
    .selectFrom('contents as x')
    .innerJoin('exams as e', 'e.content_id', 'x.id')
    .innerJoin('chapters as c', 'c.id', 'x.chapter_id')
    .select([
      'x.id',
      'x.chapter_id as chapterId',
      'x.title',
      'x.state',
      'e.stage',
      'e.weight',
      sql<number>`(select count(*)::int from exam_questions q where q.exam_id = x.id)`.as('questions'),
      sql<number>`(select coalesce(sum(q.points), 0)::int from exam_questions q where q.exam_id = x.id)`.as(
        'maxPoints',
      ),
      sql<number>`(select count(*)::int from exam_attempts a where a.exam_id = x.id)`.as('attempts'),
    ])
    .where('x.course_id', '=', courseId)
    .orderBy('x.state')
    .orderBy('c.position')
    .orderBy('x.position')
    .execute();
}

/** Replaces an exam's title, stage, weight and questions, while nobody has sat it. */
export async function replaceExam(
  db: Kysely<Database>,
  caller: Caller,
  courseId: string,
  examId: string,
  input: ExamInput,
) {
  await editCurriculum(db, caller, courseId, async (trx) => {
    await examIn(trx, courseId, examId);
    await assertNotSat(trx, examId, 'its questions can no longer change');
    await trx.updateTable('contents').set({ title: input.title }).where('id', '=', examId).execute();
    await trx
      .updateTable('exams')
      .set({ stage: input.stage, weight: input.weight, updated_at: new Date() })
      .where('content_id', '=', examId)
      .execute();
    await trx.deleteFrom('exam_questions').where('exam_id', '=', examId).execute();
    await insertQuestions(trx, examId, input.questions);
  });
  return examView(db, courseId, examId);
}

/** Deletes an exam nobody has sat; one that was sat is archived instead, with its record. */
export async function deleteExam(db: Kysely<Database>, caller: Caller, courseId: string, examId: string) {
  await editCurriculum(db, caller, courseId, async (trx) => {
    await examIn(trx, courseId, examId);
    await assertNotSat(trx, examId, 'archive it instead');
    await dropContent(trx, await contentIn(trx, courseId, examId));
  });
}
