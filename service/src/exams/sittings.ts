import { type Kysely, sql, type Transaction } from 'kysely';
import type { Identity } from '#contracts/access-token';
import type { ComplianceProfile } from '#contracts/compliance-profiles';
import type { Database } from '../db/schema';
import { emit } from '../events/outbox';
import { HttpError } from '../http/errors';
import { notFound } from '../http/identity';
import { appendAudit } from '../learning/audit';
import { evaluateCompletion, type Standing, standingOf } from '../learning/completion';
import { dayIn } from '../learning/days';
import { answeredQuestions, examIn, sittingColumns } from './exams';

/*
 * A learner's sittings of exams. The server keeps the time: a sitting's deadline is fixed when it starts,
 * the timer runs through disconnects (the learner resumes the same sitting), answers are saved one by one
 * as they are given, and a sitting past its deadline is submitted with what was saved by then, by the
 * timer worker or by the learner's next request, whichever comes first. Multiple choice is graded at
 * submission; short answers wait for the institution.
 */

type Db = Kysely<Database> | Transaction<Database>;

export type ExamGate = 'outside-period' | 'progress' | 'no-attempts-left';

interface Attempt {
  readonly id: string;
  readonly exam_id: string;
  readonly enrollment_id: string;
  readonly user_sub: string;
  readonly attempt_no: number;
  readonly max_points: number;
  readonly deadline_at: Date | null;
  /** As read under the row lock: null until the sitting was first scored. */
  readonly score: number | null;
}

/** What grading and submitting need of a sitting (joined with its enrollment as `e`). */
export const attemptColumns = [
  'a.id',
  'a.exam_id',
  'a.enrollment_id',
  'e.user_sub',
  'a.attempt_no',
  'a.max_points',
  'a.deadline_at',
  'a.score',
] as const;

/** The caller's own enrollment with its provision period; anyone else's does not exist for them. */
async function ownEnrollment(db: Db, caller: Identity, enrollmentId: string) {
  const enrollment = await db
    .selectFrom('enrollments as e')
    .innerJoin('provisions as p', 'p.id', 'e.provision_id')
    .select([
      'e.id',
      'e.user_sub',
      'e.course_id as courseId',
      sql<string>`p.starts_on::text`.as('startsOn'),
      sql<string>`p.ends_on::text`.as('endsOn'),
    ])
    .where('e.id', '=', enrollmentId)
    .executeTakeFirst();
  if (!enrollment || enrollment.user_sub !== caller.sub) throw notFound('Enrollment');
  return enrollment;
}

/** An exam the learner can see: active, in their course. */
async function activeExam(db: Db, courseId: string, examId: string) {
  const exam = await examIn(db, courseId, examId);
  if (exam.state !== 'active') throw notFound('Exam');
  return exam;
}

/** Points awarded so far, and answers still waiting for a grader. */
async function tally(trx: Transaction<Database>, attemptId: string) {
  const { rows } = await sql<{ points: number; pending: number }>`
    select coalesce(sum(points), 0)::int as points, (count(*) filter (where points is null))::int as pending
    from exam_answers where attempt_id = ${attemptId}`.execute(trx);
  return rows[0]!;
}

/** A grade entry in the sitting's learner's audit trail, naming the sitting. */
export async function auditGrade(
  trx: Transaction<Database>,
  attempt: Pick<Attempt, 'id' | 'exam_id' | 'enrollment_id' | 'user_sub' | 'attempt_no'>,
  at: Date,
  detail: Record<string, unknown>,
): Promise<void> {
  await appendAudit(
    trx,
    {
      enrollmentId: attempt.enrollment_id,
      userSub: attempt.user_sub,
      kind: 'grade',
      contentId: attempt.exam_id,
      at,
    },
    { attemptId: attempt.id, attemptNo: attempt.attempt_no, ...detail },
  );
}

/**
 * Once every answer of a submitted sitting is graded: its score (of 100, rounded down), and the course's
 * completion, which the score may bring. The first time a sitting has its score, `exam.graded` tells the
 * learner; a regrade changes the score and says nothing again (one fact per sitting, as its contract says).
 * Every caller read the sitting (its score too) under its row lock, so that score is the one committed.
 */
export async function settleScore(
  trx: Transaction<Database>,
  attempt: Attempt,
  profile: ComplianceProfile,
  now: Date,
): Promise<void> {
  const { points, pending } = await tally(trx, attempt.id);
  if (pending > 0) return;
  const score = Math.floor((100 * points) / attempt.max_points);
  await trx
    .updateTable('exam_attempts')
    .set({ score, graded_at: now })
    .where('id', '=', attempt.id)
    .execute();
  await auditGrade(trx, attempt, now, { points, maxPoints: attempt.max_points, score });
  if (attempt.score === null) await emitGraded(trx, attempt, score, profile);
  await evaluateCompletion(trx, attempt.enrollment_id, profile, now);
}

/** `exam.graded`, with the course's and the exam's titles as they are now. */
async function emitGraded(
  trx: Transaction<Database>,
  attempt: Attempt,
  score: number,
  profile: ComplianceProfile,
): Promise<void> {
  const titles = await trx
    .selectFrom('contents as x')
    .innerJoin('courses as c', 'c.id', 'x.course_id')
    .select(['x.course_id as courseId', 'c.title as courseTitle', 'x.title as examTitle'])
    .where('x.id', '=', attempt.exam_id)
    .executeTakeFirstOrThrow();
  const { minScore } = profile.courseCompletion;
  await emit(trx, 'exam.graded', {
    sittingId: attempt.id,
    contentId: attempt.exam_id,
    enrollmentId: attempt.enrollment_id,
    userSub: attempt.user_sub,
    ...titles,
    score,
    passed: minScore === null ? null : score >= minScore,
  });
}

/** Submits a sitting: fixes its answers, grades multiple choice, and scores it if nothing waits. */
async function submit(
  trx: Transaction<Database>,
  attempt: Attempt,
  by: 'learner' | 'timer',
  at: Date,
  profile: ComplianceProfile,
  now: Date,
) {
  await trx
    .updateTable('exam_attempts')
    .set({ submitted_at: at, submitted_by: by })
    .where('id', '=', attempt.id)
    .execute();
  // Multiple choice is graded now; a blank short answer has nothing for a grader to read.
  await sql`
    update exam_answers a
    set points = case when q.kind = 'choice' and a.choice = q.answer then q.points else 0 end,
        graded_by = 'automatic', graded_at = ${now}
    from exam_questions q
    where q.id = a.question_id and a.attempt_id = ${attempt.id}
      and (q.kind = 'choice' or coalesce(btrim(a.text), '') = '')`.execute(trx);
  const { points, pending } = await tally(trx, attempt.id);
  await auditGrade(trx, attempt, now, {
    submittedBy: by,
    submittedAt: at.toISOString(),
    automaticPoints: points,
    pendingAnswers: pending,
  });
  await settleScore(trx, attempt, profile, now);
}

/** How many sittings the timer submits per transaction. */
export const DUE_BATCH = 50;

/**
 * Submits sittings whose time is up, each at its deadline with the answers saved by then: the timer
 * worker's pass, for learners who never came back. Rows another worker (or a learner's own request) holds
 * are skipped, so tasks share the work. Returns how many.
 */
export async function submitDueSittings(
  db: Kysely<Database>,
  profile: ComplianceProfile,
  now: Date,
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const attempts = await trx
      .selectFrom('exam_attempts as a')
      .innerJoin('enrollments as e', 'e.id', 'a.enrollment_id')
      .select(attemptColumns)
      .where('a.submitted_at', 'is', null)
      .where('a.deadline_at', '<=', now)
      .orderBy('a.deadline_at')
      .limit(DUE_BATCH)
      .forUpdate('a')
      .skipLocked()
      .execute();
    for (const attempt of attempts) await submit(trx, attempt, 'timer', attempt.deadline_at!, profile, now);
    return attempts.length;
  });
}

/**
 * The learner's open sitting of an exam, locked. One whose time is up is submitted here, as of its
 * deadline, and none is returned: nothing is saved into a sitting after its deadline, whether or not the
 * timer worker has come by.
 */
async function openSitting(
  trx: Transaction<Database>,
  enrollmentId: string,
  examId: string,
  profile: ComplianceProfile,
  now: Date,
): Promise<Attempt | undefined> {
  const attempt = await trx
    .selectFrom('exam_attempts as a')
    .innerJoin('enrollments as e', 'e.id', 'a.enrollment_id')
    .select(attemptColumns)
    .where('a.enrollment_id', '=', enrollmentId)
    .where('a.exam_id', '=', examId)
    .where('a.submitted_at', 'is', null)
    .forUpdate('a')
    .executeTakeFirst();
  if (attempt?.deadline_at && attempt.deadline_at <= now) {
    await submit(trx, attempt, 'timer', attempt.deadline_at, profile, now);
    return undefined;
  }
  return attempt;
}

/** Sittings used and retakes granted: what the attempts rule counts. */
export async function attemptCounts(db: Db, enrollmentId: string, examId: string) {
  const { rows } = await sql<{ used: number; open: number; granted: number }>`
    select
      (select count(*)::int from exam_attempts where enrollment_id = ${enrollmentId} and exam_id = ${examId}) as used,
      (select count(*)::int from exam_attempts
        where enrollment_id = ${enrollmentId} and exam_id = ${examId} and submitted_at is null) as open,
      (select count(*)::int from exam_retakes where enrollment_id = ${enrollmentId} and exam_id = ${examId}) as granted`.execute(
    db,
  );
  return rows[0]!;
}

/** Why an exam is closed to a learner now, or null when they may start a sitting. */
interface Gating {
  readonly gate: ExamGate | null;
  readonly message: string;
  readonly requiredShare: number;
  readonly progressShare: number;
  readonly attemptsUsed: number;
  readonly attemptsAllowed: number | null;
}

async function gating(
  db: Db,
  enrollment: { id: string; startsOn: string; endsOn: string },
  exam: { id: string; stage: 'mid' | 'final' },
  standing: Standing,
  profile: ComplianceProfile,
  now: Date,
): Promise<Gating> {
  const counts = await attemptCounts(db, enrollment.id, exam.id);
  const requiredShare = profile.examGates?.[exam.stage] ?? 0;
  const attemptsAllowed = profile.examAttempts === null ? null : profile.examAttempts + counts.granted;
  const facts = {
    requiredShare,
    progressShare: standing.progressShare,
    attemptsUsed: counts.used,
    attemptsAllowed,
  };
  const today = dayIn(now, profile.timeZone);
  if (today < enrollment.startsOn || today > enrollment.endsOn)
    return {
      ...facts,
      gate: 'outside-period',
      message: `Exams are open from ${enrollment.startsOn} to ${enrollment.endsOn}`,
    };
  if (standing.progressShare < requiredShare)
    return {
      ...facts,
      gate: 'progress',
      message: `The ${exam.stage} exam opens at ${Math.round(requiredShare * 100)}% progress; yours is ${Math.floor(standing.progressShare * 100)}%`,
    };
  if (attemptsAllowed !== null && counts.used >= attemptsAllowed)
    return { ...facts, gate: 'no-attempts-left', message: 'No attempts left: a retake must be granted' };
  return { ...facts, gate: null, message: 'open' };
}

/** Whole seconds to a deadline, none for an untimed sitting. */
const secondsLeft = (deadline: Date | null, now: Date) =>
  deadline === null ? null : Math.max(0, Math.ceil((deadline.getTime() - now.getTime()) / 1000));

/** Where a sitting stands: due is past its deadline, about to be submitted by the timer. */
function stateOf(
  a: { submittedAt: Date | null; deadlineAt: Date | null; score: number | null },
  now: Date,
): 'open' | 'due' | 'submitted' | 'graded' {
  if (a.submittedAt) return a.score === null ? 'submitted' : 'graded';
  return a.deadlineAt !== null && a.deadlineAt <= now ? 'due' : 'open';
}

/** A sitting as its learner sees it: questions without their answers, what they gave, and the clock. */
export async function sittingView(db: Db, attemptId: string, now: Date) {
  const attempt = await db
    .selectFrom('exam_attempts as a')
    .select(sittingColumns)
    .where('a.id', '=', attemptId)
    .executeTakeFirstOrThrow();
  const questions = await answeredQuestions(db, attempt.examId, attemptId);
  const submitted = attempt.submittedAt !== null;
  return {
    ...attempt,
    state: stateOf(attempt, now),
    secondsLeft: submitted ? null : secondsLeft(attempt.deadlineAt, now),
    // The right answers and who graded stay with the institution.
    questions: questions.map(({ answer: _answer, gradedBy: _by, gradedAt: _at, ...q }) => ({
      ...q,
      // Unanswered questions earn nothing; a short answer waiting for its grader has no points yet.
      awardedPoints: submitted ? (q.response ? q.awardedPoints : 0) : null,
    })),
  } as const;
}

/** The course's exams for their learner: each one's gate now, attempts and latest sitting. */
export async function learnerExams(
  db: Kysely<Database>,
  caller: Identity,
  enrollmentId: string,
  profile: ComplianceProfile,
  now: Date,
) {
  const enrollment = await ownEnrollment(db, caller, enrollmentId);
  const exams = await db
    .selectFrom('contents as x')
    .innerJoin('exams as e', 'e.content_id', 'x.id')
    .innerJoin('chapters as c', 'c.id', 'x.chapter_id')
    .select([
      'x.id',
      'x.title',
      'e.stage',
      'e.weight',
      sql<number>`(select count(*)::int from exam_questions q where q.exam_id = x.id)`.as('questions'),
      sql<number>`(select coalesce(sum(q.points), 0)::int from exam_questions q where q.exam_id = x.id)`.as(
        'maxPoints',
      ),
    ])
    .where('x.course_id', '=', enrollment.courseId)
    .where('x.state', '=', 'active')
    .orderBy('c.position')
    .orderBy('x.position')
    .execute();
  // The course's progress is the same for every exam: measured once.
  const standing = await standingOf(db, enrollmentId);
  return Promise.all(
    exams.map(async (exam) => {
      const [g, latest] = await Promise.all([
        gating(db, enrollment, exam, standing, profile, now),
        db
          .selectFrom('exam_attempts')
          .select([
            'id as attemptId',
            'attempt_no as attemptNo',
            'deadline_at as deadlineAt',
            'submitted_at as submittedAt',
            'score',
          ])
          .where('enrollment_id', '=', enrollmentId)
          .where('exam_id', '=', exam.id)
          .orderBy('attempt_no', 'desc')
          .executeTakeFirst(),
      ]);
      const state = latest && stateOf(latest, now);
      return {
        examId: exam.id,
        title: exam.title,
        stage: exam.stage,
        weight: exam.weight,
        questions: exam.questions,
        maxPoints: exam.maxPoints,
        // What the learner agrees to before starting: the clock and the pass mark are the profile's.
        minutes: profile.examMinutes,
        minScore: profile.courseCompletion.minScore,
        // An open sitting is resumed whatever the gates say now.
        open: g.gate === null || state === 'open',
        gate: g.gate,
        requiredShare: g.requiredShare,
        progressShare: g.progressShare,
        attemptsUsed: g.attemptsUsed,
        attemptsAllowed: g.attemptsAllowed,
        latest: latest ? { ...latest, state: state! } : null,
      };
    }),
  );
}

/**
 * Starts a sitting, or resumes the open one (a reconnecting learner gets the same sitting and clock).
 * A new sitting passes the gates first: the provision period, the stage's progress share and the
 * attempts left; the decision to open it is audited with the figures it was made on.
 */
export async function startSitting(
  db: Kysely<Database>,
  caller: Identity,
  enrollmentId: string,
  examId: string,
  profile: ComplianceProfile,
  now: Date,
): Promise<{ readonly started: boolean; readonly sitting: Awaited<ReturnType<typeof sittingView>> }> {
  return db.transaction().execute(async (trx) => {
    const enrollment = await ownEnrollment(trx, caller, enrollmentId);
    // One learner's starts run one at a time: two tabs starting at once get one sitting.
    await trx.selectFrom('enrollments').select('id').where('id', '=', enrollmentId).forUpdate().execute();
    const exam = await activeExam(trx, enrollment.courseId, examId);
    const open = await openSitting(trx, enrollmentId, examId, profile, now);
    if (open) return { started: false, sitting: await sittingView(trx, open.id, now) };
    const g = await gating(trx, enrollment, exam, await standingOf(trx, enrollmentId), profile, now);
    if (g.gate) throw new HttpError(409, g.message);
    const { maxPoints } = await trx
      .selectFrom('exam_questions')
      .select(sql<number>`sum(points)::int`.as('maxPoints'))
      .where('exam_id', '=', examId)
      .executeTakeFirstOrThrow();
    const deadline =
      profile.examMinutes === null ? null : new Date(now.getTime() + profile.examMinutes * 60_000);
    const attempt = await trx
      .insertInto('exam_attempts')
      .values({
        exam_id: examId,
        enrollment_id: enrollmentId,
        attempt_no: g.attemptsUsed + 1,
        started_at: now,
        deadline_at: deadline,
        max_points: maxPoints,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await appendAudit(
      trx,
      { enrollmentId, userSub: caller.sub, kind: 'gate', contentId: examId, at: now },
      {
        gate: 'exam',
        decision: 'open',
        stage: exam.stage,
        progressShare: g.progressShare,
        requiredShare: g.requiredShare,
        attemptId: attempt.id,
        attemptNo: g.attemptsUsed + 1,
        attemptsAllowed: g.attemptsAllowed,
        deadlineAt: deadline?.toISOString() ?? null,
      },
    );
    return { started: true, sitting: await sittingView(trx, attempt.id, now) };
  });
}

/** The learner's latest sitting of an exam, as it stands. */
export async function latestSitting(
  db: Kysely<Database>,
  caller: Identity,
  enrollmentId: string,
  examId: string,
  now: Date,
) {
  const enrollment = await ownEnrollment(db, caller, enrollmentId);
  await activeExam(db, enrollment.courseId, examId);
  const latest = await db
    .selectFrom('exam_attempts')
    .select('id')
    .where('enrollment_id', '=', enrollmentId)
    .where('exam_id', '=', examId)
    .orderBy('attempt_no', 'desc')
    .executeTakeFirst();
  if (!latest) throw notFound('Sitting');
  return sittingView(db, latest.id, now);
}

const invalid = (field: string, message: string) =>
  new HttpError(400, `Invalid ${field}`, [{ field, message }]);

const closed = () =>
  new HttpError(409, 'No open sitting of this exam: it was submitted, its time is up, or it was not started');

/** Saves one answer of the open sitting (again and again, until the sitting ends). */
export async function saveAnswer(
  db: Kysely<Database>,
  caller: Identity,
  enrollmentId: string,
  examId: string,
  questionId: string,
  input: { readonly choice?: number | undefined; readonly text?: string | undefined },
  profile: ComplianceProfile,
  now: Date,
) {
  const saved = await db.transaction().execute(async (trx) => {
    const enrollment = await ownEnrollment(trx, caller, enrollmentId);
    await activeExam(trx, enrollment.courseId, examId);
    const question = await trx
      .selectFrom('exam_questions')
      .select(['kind', 'choices'])
      .where('id', '=', questionId)
      .where('exam_id', '=', examId)
      .executeTakeFirst();
    if (!question) throw notFound('Question');
    if (question.kind === 'choice') {
      if (input.choice === undefined || input.text !== undefined)
        throw invalid('body.choice', 'a multiple-choice question takes a choice');
      if (input.choice >= question.choices!.length)
        throw invalid('body.choice', `must be between 0 and ${question.choices!.length - 1}`);
    } else if (input.text === undefined || input.choice !== undefined)
      throw invalid('body.text', 'a short-answer question takes a text');
    const attempt = await openSitting(trx, enrollmentId, examId, profile, now);
    // No throw in here: a sitting the timer just submitted must stay submitted.
    if (!attempt) return undefined;
    const answer = { choice: input.choice ?? null, text: input.text ?? null, saved_at: now };
    await trx
      .insertInto('exam_answers')
      .values({ attempt_id: attempt.id, question_id: questionId, ...answer })
      .onConflict((oc) => oc.columns(['attempt_id', 'question_id']).doUpdateSet(answer))
      .execute();
    return { questionId, savedAt: now, secondsLeft: secondsLeft(attempt.deadline_at, now) };
  });
  if (!saved) throw closed();
  return saved;
}

/** The learner hands in their open sitting. */
export async function submitSitting(
  db: Kysely<Database>,
  caller: Identity,
  enrollmentId: string,
  examId: string,
  profile: ComplianceProfile,
  now: Date,
) {
  const submitted = await db.transaction().execute(async (trx) => {
    const enrollment = await ownEnrollment(trx, caller, enrollmentId);
    await activeExam(trx, enrollment.courseId, examId);
    const attempt = await openSitting(trx, enrollmentId, examId, profile, now);
    // No throw in here: a sitting the timer just submitted must stay submitted.
    if (!attempt) return undefined;
    await submit(trx, attempt, 'learner', now, profile, now);
    return sittingView(trx, attempt.id, now);
  });
  if (!submitted) throw closed();
  return submitted;
}
