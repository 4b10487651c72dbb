import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Identity } from '#contracts/access-token';
import { COMPLIANCE_PROFILES, type ComplianceProfile } from '#contracts/compliance-profiles';
import { HttpError } from '#contracts/problem';
import { enrollmentCompleted, examGraded } from '#contracts/platform-events';
import { createExam, deleteExam, examRules, getExam, listExams, replaceExam } from '#service/exams/exams';
import { gradeAnswer, grantRetake, listTakers, submission } from '#service/exams/grading';
import {
  learnerExams,
  saveAnswer,
  startSitting,
  submitDueSittings,
  submitSitting,
} from '#service/exams/sittings';
import { startExamTimer } from '#service/exams/exam-timer';
import { type Caller, loadCaller } from '#service/http/identity';
import { evaluateCompletion } from '#service/learning/completion';
import { seedProvision, seedVideoCourse } from '../seed';
import { testDatabase, type TestDatabase } from '../test-database';

const kr = COMPLIANCE_PROFILES['kr-employer-training'];
const standard = COMPLIANCE_PROFILES.standard;
let t: TestDatabase;
let courseId: string;
let chapterId: string;
let provisionId: string;
/** Ten ready videos. */
let videos: string[];
let manager: Caller;
let instructor: Caller;
let stranger: Caller;
/** Mid: two choices of 10 points and a short answer of 20 (weight 40). Final: two choices of 50 (60). */
let mid: Awaited<ReturnType<typeof createExam>>;
let final: Awaited<ReturnType<typeof createExam>>;

// 2026-12-10 09:00 in Korea; the provision runs 2026-12-01 to 2026-12-31 (Korea time).
const T0 = new Date('2026-12-10T00:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const MINUTE = 60;

async function person(sub: string, roles: Identity['roles']): Promise<Caller> {
  return loadCaller(t.db, { sub, email: `${sub}@example.com`, roles });
}

/** An enrolled learner who has completed the first `lessons` videos. */
async function learner(lessons: number): Promise<{ who: Identity; enrollmentId: string }> {
  const who: Identity = { sub: randomUUID(), email: undefined, roles: ['learner'] };
  const { id } = await t.db
    .insertInto('enrollments')
    .values({ provision_id: provisionId, course_id: courseId, user_sub: who.sub })
    .returning('id')
    .executeTakeFirstOrThrow();
  // The progress engine is tested on its own; here completed lessons are a given.
  if (lessons > 0)
    await t.db
      .insertInto('content_progress')
      .values(
        videos.slice(0, lessons).map((content_id) => ({
          enrollment_id: id,
          content_id,
          covered_seconds: 600,
          completed_at: T0,
        })),
      )
      .execute();
  return { who, enrollmentId: id };
}

/** The HTTP status a call is refused with. */
async function refusal(call: Promise<unknown>): Promise<[number, string]> {
  try {
    await call;
  } catch (e) {
    if (e instanceof HttpError) return [e.status, e.message];
    throw e;
  }
  throw new Error('expected a refusal');
}

const audit = (enrollmentId: string) =>
  t.db
    .selectFrom('learning_audit')
    .select(['kind', 'content_id', 'detail'])
    .where('enrollment_id', '=', enrollmentId)
    .orderBy('id')
    .execute();

const enrollment = (id: string) =>
  t.db
    .selectFrom('enrollments')
    .select(['completed_at', sql<string | null>`certificate_on::text`.as('certificate_on'), 'score'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();

/** Answers every question of a sitting: choices right or wrong, short answers with some text. */
async function answerAll(
  who: Identity,
  enrollmentId: string,
  exam: typeof mid,
  right: boolean,
  when: Date,
  profile: ComplianceProfile = kr,
) {
  for (const q of exam.questions)
    await saveAnswer(
      t.db,
      who,
      enrollmentId,
      exam.id,
      q.id,
      q.kind === 'choice' ? { choice: right ? q.answer! : (q.answer! + 1) % 2 } : { text: 'An answer' },
      profile,
      when,
    );
}

beforeAll(async () => {
  t = await testDatabase('exams');
  const seeded = await seedVideoCourse(t.db, { videos: 10, ready: true });
  ({ courseId, videoIds: videos } = seeded);
  chapterId = (
    await t.db.selectFrom('chapters').select('id').where('course_id', '=', courseId).executeTakeFirstOrThrow()
  ).id;
  const other = await t.db
    .insertInto('institutions')
    .values({
      name: 'Other',
      owner_name: 'O',
      business_number: '3234567891',
      certification_number: 'C',
      contact_email: 'o@example.com',
      contact_phone: '0',
      created_by: 'test',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await t.db
    .insertInto('institution_members')
    .values([
      { institution_id: seeded.institutionId, user_sub: 'manager', role: 'institution-manager' },
      { institution_id: seeded.institutionId, user_sub: 'instructor', role: 'instructor' },
      { institution_id: other.id, user_sub: 'stranger', role: 'institution-manager' },
    ])
    .execute();
  manager = await person('manager', ['institution-manager']);
  instructor = await person('instructor', ['instructor']);
  stranger = await person('stranger', ['institution-manager']);
  ({ provisionId } = await seedProvision(t.db, {
    institutionId: seeded.institutionId,
    courseId,
    startsOn: '2026-12-01',
    endsOn: '2026-12-31',
  }));
  mid = await createExam(t.db, instructor, courseId, {
    chapterId,
    title: 'Mid exam',
    stage: 'mid',
    weight: 40,
    questions: [
      { kind: 'choice', prompt: 'Which knot?', choices: ['Bowline', 'Granny'], answer: 0, points: 10 },
      { kind: 'choice', prompt: 'Which sling?', choices: ['Frayed', 'Tagged'], answer: 1, points: 10 },
      { kind: 'short', prompt: 'Name the signals.', points: 20 },
    ],
  });
  final = await createExam(t.db, manager, courseId, {
    chapterId,
    title: 'Final exam',
    stage: 'final',
    weight: 60,
    questions: [
      { kind: 'choice', prompt: 'Load limit?', choices: ['Rated', 'Double'], answer: 0, points: 50 },
      { kind: 'choice', prompt: 'Wind limit?', choices: ['Any', '20 m/s'], answer: 1, points: 50 },
    ],
  });
});
afterAll(() => t.close());

describe('writing exams', () => {
  it('places an exam in the curriculum, with its questions and answers for the institution', async () => {
    expect(mid).toMatchObject({ courseId, chapterId, title: 'Mid exam', state: 'active', maxPoints: 40 });
    expect(mid.position).toBe(10);
    expect(mid.questions.map((q) => [q.kind, q.answer, q.points])).toEqual([
      ['choice', 0, 10],
      ['choice', 1, 10],
      ['short', null, 20],
    ]);
    expect(await getExam(t.db, manager, courseId, mid.id)).toEqual(mid);
    const listed = await listExams(t.db, instructor, courseId);
    expect(listed.map((e) => [e.title, e.stage, e.questions, e.maxPoints])).toEqual([
      ['Mid exam', 'mid', 3, 40],
      ['Final exam', 'final', 2, 100],
    ]);
    expect(await refusal(getExam(t.db, stranger, courseId, mid.id))).toEqual([404, 'Course not found']);
    expect(await refusal(listExams(t.db, stranger, courseId))).toEqual([404, 'Course not found']);
  });

  it('replaces and deletes an exam while nobody has sat it, and refuses once someone has', async () => {
    const draft = await createExam(t.db, manager, courseId, {
      chapterId,
      title: 'Draft',
      stage: 'mid',
      weight: 10,
      questions: [{ kind: 'short', prompt: 'Why?', points: 5 }],
    });
    const replaced = await replaceExam(t.db, instructor, courseId, draft.id, {
      title: 'Quiz',
      stage: 'final',
      weight: 20,
      questions: [{ kind: 'choice', prompt: 'Yes?', choices: ['Yes', 'No'], answer: 0, points: 7 }],
    });
    expect(replaced).toMatchObject({ title: 'Quiz', stage: 'final', weight: 20, maxPoints: 7 });
    await deleteExam(t.db, manager, courseId, draft.id);
    expect(await refusal(getExam(t.db, manager, courseId, draft.id))).toEqual([404, 'Exam not found']);
    // Positions stay contiguous: the two exams after the ten videos.
    const positions = await t.db
      .selectFrom('contents')
      .select('position')
      .where('chapter_id', '=', chapterId)
      .orderBy('position')
      .execute();
    expect(positions.map((p) => p.position)).toEqual([...Array(12).keys()]);

    const { who, enrollmentId } = await learner(5);
    await startSitting(t.db, who, enrollmentId, mid.id, kr, at(0));
    const input = { title: 'Changed', stage: 'mid' as const, weight: 40, questions: [] };
    expect(await refusal(replaceExam(t.db, manager, courseId, mid.id, input))).toEqual([
      409,
      'Learners have sat this exam: its questions can no longer change',
    ]);
    expect(await refusal(deleteExam(t.db, manager, courseId, mid.id))).toEqual([
      409,
      'Learners have sat this exam: archive it instead',
    ]);
    expect(await refusal(deleteExam(t.db, stranger, courseId, final.id))).toEqual([404, 'Course not found']);
  });
});

describe('the rules an exam runs under', () => {
  it('are the profile’s: the clock, the attempts, the pass mark and the progress its stage opens at', () => {
    expect(examRules(kr, 'mid')).toEqual({ minutes: 60, attempts: 1, passMark: 60, opensAtProgress: 0.5 });
    expect(examRules(kr, 'final')).toEqual({ minutes: 60, attempts: 1, passMark: 60, opensAtProgress: 0.8 });
    expect(examRules(standard, 'final')).toEqual({
      minutes: null,
      attempts: null,
      passMark: null,
      opensAtProgress: 0,
    });
  });
});

describe('gates of kr-employer-training', () => {
  it('opens the mid exam at exactly 50% progress and the final at 80%, auditing the decision', async () => {
    const four = await learner(4);
    expect(await refusal(startSitting(t.db, four.who, four.enrollmentId, mid.id, kr, at(0)))).toEqual([
      409,
      'The mid exam opens at 50% progress; yours is 40%',
    ]);
    const five = await learner(5);
    const sitting = await startSitting(t.db, five.who, five.enrollmentId, mid.id, kr, at(0));
    expect(sitting.started).toBe(true);
    expect(await refusal(startSitting(t.db, five.who, five.enrollmentId, final.id, kr, at(0)))).toEqual([
      409,
      'The final exam opens at 80% progress; yours is 50%',
    ]);
    const seven = await learner(7);
    expect(await refusal(startSitting(t.db, seven.who, seven.enrollmentId, final.id, kr, at(0)))).toEqual([
      409,
      'The final exam opens at 80% progress; yours is 70%',
    ]);
    const eight = await learner(8);
    expect((await startSitting(t.db, eight.who, eight.enrollmentId, final.id, kr, at(0))).started).toBe(true);
    // What the learner sees before starting, and the audited decision after.
    const listed = await learnerExams(t.db, seven.who, seven.enrollmentId, kr, at(0));
    expect(listed.map((e) => [e.stage, e.open, e.gate, e.requiredShare, e.progressShare])).toEqual([
      ['mid', true, null, 0.5, 0.7],
      ['final', false, 'progress', 0.8, 0.7],
    ]);
    // What they agree to before starting: the questions, the clock and the pass mark.
    expect(listed.map((e) => [e.questions, e.maxPoints, e.minutes, e.minScore])).toEqual([
      [3, 40, 60, 60],
      [2, 100, 60, 60],
    ]);
    expect((await audit(eight.enrollmentId)).at(-1)).toEqual({
      kind: 'gate',
      content_id: final.id,
      detail: expect.objectContaining({
        decision: 'open',
        progressShare: 0.8,
        requiredShare: 0.8,
        attemptNo: 1,
        attemptsAllowed: 1,
      }),
    });
  });

  it('opens exams only within the provision period, by Korea time, midnight included', async () => {
    const { who, enrollmentId } = await learner(10);
    // 2027-01-01 00:00:00 in Seoul: the period (to 2026-12-31) is over.
    const newYear = new Date('2026-12-31T15:00:00Z');
    expect(await refusal(startSitting(t.db, who, enrollmentId, mid.id, kr, newYear))).toEqual([
      409,
      'Exams are open from 2026-12-01 to 2026-12-31',
    ]);
    // One second earlier it is still 2026-12-31 in Seoul.
    const lastSecond = new Date('2026-12-31T14:59:59Z');
    expect((await startSitting(t.db, who, enrollmentId, mid.id, kr, lastSecond)).started).toBe(true);
    // 2026-12-01 00:00 in Seoul is 2026-11-30 15:00 UTC: open; a second before: not.
    const other = await learner(10);
    expect(
      await refusal(
        startSitting(t.db, other.who, other.enrollmentId, mid.id, kr, new Date('2026-11-30T14:59:59Z')),
      ),
    ).toEqual([409, 'Exams are open from 2026-12-01 to 2026-12-31']);
    expect(
      (await startSitting(t.db, other.who, other.enrollmentId, mid.id, kr, new Date('2026-11-30T15:00:00Z')))
        .started,
    ).toBe(true);
  });

  it('allows one attempt, and a retake only when a manager grants one with a reason', async () => {
    const { who, enrollmentId } = await learner(10);
    await startSitting(t.db, who, enrollmentId, final.id, kr, at(0));
    await answerAll(who, enrollmentId, final, false, at(60));
    await submitSitting(t.db, who, enrollmentId, final.id, kr, at(120));
    expect(await refusal(startSitting(t.db, who, enrollmentId, final.id, kr, at(180)))).toEqual([
      409,
      'No attempts left: a retake must be granted',
    ]);
    expect(
      await refusal(grantRetake(t.db, instructor, provisionId, enrollmentId, final.id, 'Ill', kr, at(200))),
    ).toEqual([403, 'Only the institution’s managers grant retakes']);
    expect(
      await refusal(grantRetake(t.db, stranger, provisionId, enrollmentId, final.id, 'Ill', kr, at(200))),
    ).toEqual([404, 'Provision not found']);
    const granted = await grantRetake(
      t.db,
      manager,
      provisionId,
      enrollmentId,
      final.id,
      'Power cut',
      kr,
      at(200),
    );
    expect(granted).toMatchObject({ reason: 'Power cut', grantedBy: 'manager', attemptsAllowed: 2 });
    // Unused, a grant is not granted again.
    expect(
      await refusal(grantRetake(t.db, manager, provisionId, enrollmentId, final.id, 'Again', kr, at(210))),
    ).toEqual([409, 'The learner has a sitting left: a retake is granted once it is used']);
    const second = await startSitting(t.db, who, enrollmentId, final.id, kr, at(300));
    expect(second.sitting).toMatchObject({ attemptNo: 2, state: 'open' });
    expect(
      (await audit(enrollmentId)).filter((e) => e.kind === 'gate').map((e) => e.detail.decision),
    ).toEqual(['open', 'retake', 'open']);
    // Under the standard profile attempts are unlimited: nothing to grant.
    expect(
      await refusal(grantRetake(t.db, manager, provisionId, enrollmentId, final.id, 'x', standard, at(400))),
    ).toEqual([409, 'Attempts are not limited: there is nothing to grant']);
  });
});

describe('the exam timer', () => {
  it('keeps running through a disconnect: starting again resumes the same sitting and clock', async () => {
    const { who, enrollmentId } = await learner(5);
    const first = await startSitting(t.db, who, enrollmentId, mid.id, kr, at(0));
    expect(first.sitting).toMatchObject({ state: 'open', secondsLeft: 60 * MINUTE });
    const again = await startSitting(t.db, who, enrollmentId, mid.id, kr, at(25 * MINUTE));
    expect(again.started).toBe(false);
    expect(again.sitting).toMatchObject({ id: first.sitting.id, secondsLeft: 35 * MINUTE });
    // Two tabs starting at once get one sitting.
    const other = await learner(5);
    const both = await Promise.all([
      startSitting(t.db, other.who, other.enrollmentId, mid.id, kr, at(0)),
      startSitting(t.db, other.who, other.enrollmentId, mid.id, kr, at(0)),
    ]);
    expect(new Set(both.map((b) => b.sitting.id)).size).toBe(1);
    expect(both.map((b) => b.started).sort()).toEqual([false, true]);
  });

  it('submits itself at the end with the answers saved until then, and grades them', async () => {
    const { who, enrollmentId } = await learner(5);
    const { sitting } = await startSitting(t.db, who, enrollmentId, mid.id, kr, at(0));
    const [q1, q2, q3] = mid.questions;
    await saveAnswer(t.db, who, enrollmentId, mid.id, q1!.id, { choice: 1 }, kr, at(5 * MINUTE));
    // Changing one's mind is saving again.
    await saveAnswer(t.db, who, enrollmentId, mid.id, q1!.id, { choice: 0 }, kr, at(6 * MINUTE));
    await saveAnswer(t.db, who, enrollmentId, mid.id, q3!.id, { text: '' }, kr, at(59 * MINUTE));
    // Nobody is connected at the deadline; the timer worker's next pass submits the sitting.
    const row = () =>
      t.db
        .selectFrom('exam_attempts')
        .select(['submitted_at', 'submitted_by', 'score'])
        .where('id', '=', sitting.id)
        .executeTakeFirstOrThrow();
    // (Other tests' sittings may fall due in the same passes.)
    await submitDueSittings(t.db, kr, at(60 * MINUTE - 1));
    expect((await row()).submitted_at).toBeNull();
    expect(await submitDueSittings(t.db, kr, at(61 * MINUTE))).toBeGreaterThanOrEqual(1);
    // Submitted as of its deadline; q1 right (10 of 40), q2 unanswered, q3 blank: nothing left to grade.
    expect(await row()).toEqual({ submitted_at: at(60 * MINUTE), submitted_by: 'timer', score: 25 });
    expect(
      await refusal(saveAnswer(t.db, who, enrollmentId, mid.id, q2!.id, { choice: 1 }, kr, at(62 * MINUTE))),
    ).toEqual([409, 'No open sitting of this exam: it was submitted, its time is up, or it was not started']);
  });

  it('is submitted by the service’s timer worker when its learner never comes back', async () => {
    const { who, enrollmentId } = await learner(5);
    const { sitting } = await startSitting(t.db, who, enrollmentId, mid.id, kr, at(0));
    const timer = startExamTimer({
      db: t.db,
      compliance: kr,
      clock: () => at(24 * 60 * MINUTE),
      log: { warn: (message) => console.warn(message) },
    });
    // The first pass starts at once; stop() waits for it.
    await timer.stop();
    expect(
      await t.db
        .selectFrom('exam_attempts')
        .select(['submitted_at', 'submitted_by'])
        .where('id', '=', sitting.id)
        .executeTakeFirstOrThrow(),
    ).toEqual({ submitted_at: at(60 * MINUTE), submitted_by: 'timer' });
  });

  it('refuses an answer after the deadline even before the worker ran, and submits the sitting then', async () => {
    const { who, enrollmentId } = await learner(5);
    const { sitting } = await startSitting(t.db, who, enrollmentId, mid.id, kr, at(0));
    const [q1, q2] = mid.questions;
    await saveAnswer(t.db, who, enrollmentId, mid.id, q1!.id, { choice: 0 }, kr, at(60 * MINUTE - 1));
    expect(
      await refusal(saveAnswer(t.db, who, enrollmentId, mid.id, q2!.id, { choice: 1 }, kr, at(60 * MINUTE))),
    ).toEqual([409, 'No open sitting of this exam: it was submitted, its time is up, or it was not started']);
    const seen = await submission(t.db, manager, courseId, mid.id, sitting.id);
    expect(seen).toMatchObject({ submittedBy: 'timer', submittedAt: at(60 * MINUTE), score: 25 });
    expect(seen.questions.map((q) => [q.response?.choice ?? null, q.awardedPoints])).toEqual([
      [0, 10],
      [null, null],
      [null, null],
    ]);
  });
});

describe('grading and completion', () => {
  it('completes the course once progress and the weighted score pass, with a certificate date', async () => {
    const { who, enrollmentId } = await learner(8);
    await startSitting(t.db, who, enrollmentId, mid.id, kr, at(0));
    await answerAll(who, enrollmentId, mid, true, at(60));
    const handedIn = await submitSitting(t.db, who, enrollmentId, mid.id, kr, at(120));
    // Both choices right (20 of 40); the short answer waits for a grader.
    expect(handedIn).toMatchObject({ state: 'submitted', score: null, submittedBy: 'learner' });
    expect(handedIn.questions.map((q) => q.awardedPoints)).toEqual([10, 10, null]);
    expect(handedIn.questions[0]).not.toHaveProperty('answer');
    await startSitting(t.db, who, enrollmentId, final.id, kr, at(200));
    await answerAll(who, enrollmentId, final, true, at(260));
    await submitSitting(t.db, who, enrollmentId, final.id, kr, at(300));
    // The final scored 100, but the mid is not graded yet: no completion.
    expect((await enrollment(enrollmentId)).completed_at).toBeNull();
    const takers = await listTakers(t.db, instructor, courseId, mid.id);
    const mine = takers.find((x) => x.enrollmentId === enrollmentId)!;
    expect(mine).toMatchObject({ pendingAnswers: 1, score: null, submittedBy: 'learner' });
    const short = mid.questions[2]!.id;
    expect(
      await refusal(gradeAnswer(t.db, instructor, courseId, mid.id, mine.attemptId, short, 21, kr, at(400))),
    ).toEqual([400, 'Invalid body.points']);
    expect(
      await refusal(
        gradeAnswer(t.db, instructor, courseId, mid.id, mine.attemptId, mid.questions[0]!.id, 5, kr, at(400)),
      ),
    ).toEqual([409, 'Multiple choice is graded automatically']);
    expect(
      await refusal(gradeAnswer(t.db, stranger, courseId, mid.id, mine.attemptId, short, 15, kr, at(400))),
    ).toEqual([404, 'Course not found']);
    // 15 Korea time on 2026-12-10 is still the 10th; 15:00 UTC would be the 11th.
    const gradedAt = new Date('2026-12-10T15:00:00Z');
    const graded = await gradeAnswer(
      t.db,
      instructor,
      courseId,
      mid.id,
      mine.attemptId,
      short,
      15,
      kr,
      gradedAt,
    );
    // Mid: 35 of 40 → 87 (rounded down). Course: (40 × 87 + 60 × 100) / 100 = 94.8 → 94.
    expect(graded).toMatchObject({ score: 87 });
    expect(graded.questions[2]).toMatchObject({ awardedPoints: 15, gradedBy: 'instructor' });
    expect(await enrollment(enrollmentId)).toEqual({
      completed_at: gradedAt,
      certificate_on: '2026-12-11',
      score: 94,
    });
    const trail = await audit(enrollmentId);
    expect(
      trail.filter((e) => e.kind === 'grade').map((e) => e.detail.score ?? e.detail.points ?? null),
    ).toEqual(
      // mid submitted (pending), final submitted, final scored, the short answer graded, mid scored.
      [null, null, 100, 15, 87],
    );
    expect(trail.at(-1)).toEqual({
      kind: 'completion',
      content_id: null,
      detail: expect.objectContaining({ certificateOn: '2026-12-11', score: 94, progressShare: 0.8 }),
    });
    // One enrollment.completed, in the same transaction, with what the certificate says.
    const completions = (
      await t.db.selectFrom('outbox').select('payload').where('type', '=', 'enrollment.completed').execute()
    )
      .map((r) => r.payload)
      .filter((p) => p['enrollmentId'] === enrollmentId);
    expect(completions).toEqual([
      {
        enrollmentId,
        provisionId,
        courseId,
        institutionId: expect.any(String),
        companyId: expect.any(String),
        userSub: who.sub,
        completedAt: gradedAt.toISOString(),
        certificateOn: '2026-12-11',
        score: 94,
        courseTitle: 'Course',
        institutionName: 'A',
        institutionCertificationNumber: 'C',
        periodStart: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
        periodEnd: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
        hours: expect.any(Number),
      },
    ]);
    expect(() =>
      enrollmentCompleted.parse({ ...completions[0], eventId: 'e', occurredAt: gradedAt.toISOString() }),
    ).not.toThrow();
    // Grading again changes nothing and says nothing again.
    await gradeAnswer(t.db, instructor, courseId, mid.id, mine.attemptId, short, 16, kr, at(500));
    expect(
      (await t.db.selectFrom('outbox').select('payload').where('type', '=', 'enrollment.completed').execute())
        .map((r) => r.payload)
        .filter((p) => p['enrollmentId'] === enrollmentId),
    ).toHaveLength(1);
  });

  it('does not complete a learner whose weighted score is under 60, or whose progress is under 80%', async () => {
    const low = await learner(10);
    await startSitting(t.db, low.who, low.enrollmentId, mid.id, kr, at(0));
    await answerAll(low.who, low.enrollmentId, mid, true, at(10));
    await submitSitting(t.db, low.who, low.enrollmentId, mid.id, kr, at(20));
    const attempt = (await listTakers(t.db, manager, courseId, mid.id)).find(
      (x) => x.enrollmentId === low.enrollmentId,
    )!;
    await gradeAnswer(
      t.db,
      manager,
      courseId,
      mid.id,
      attempt.attemptId,
      mid.questions[2]!.id,
      20,
      kr,
      at(30),
    );
    await startSitting(t.db, low.who, low.enrollmentId, final.id, kr, at(40));
    await answerAll(low.who, low.enrollmentId, final, false, at(50));
    await submitSitting(t.db, low.who, low.enrollmentId, final.id, kr, at(60));
    // Mid 100, final 0: (40 × 100 + 60 × 0) / 100 = 40.
    expect(await enrollment(low.enrollmentId)).toEqual({
      completed_at: null,
      certificate_on: null,
      score: null,
    });

    // Under the standard profile (no minimum score) 80% of the lessons complete a course; 70% does not.
    const seven = await learner(7);
    const eight = await learner(8);
    const complete = (id: string) =>
      t.db.transaction().execute((trx) => evaluateCompletion(trx, id, standard, at(0)));
    expect(await complete(seven.enrollmentId)).toBe(false);
    expect(await complete(eight.enrollmentId)).toBe(true);
    expect(await enrollment(eight.enrollmentId)).toMatchObject({ certificate_on: '2026-12-10', score: null });
  });
});

describe('exam.graded', () => {
  /** A choice of 10 points and two short answers of 10 (weight 10), written by the first test. */
  let essay: typeof mid;
  /** The sitting's facts from the outbox, with what the relay adds, each parsed by the contract. */
  const gradedFacts = async (sittingId: string) => {
    const { rows } = await sql<{ id: string; payload: Record<string, unknown>; created_at: Date }>`
      select id, payload, created_at from outbox
      where type = 'exam.graded' and payload->>'sittingId' = ${sittingId} order by id`.execute(t.db);
    return rows.map((r) => {
      const detail = { ...r.payload, eventId: `core-${r.id}`, occurredAt: r.created_at.toISOString() };
      // Equal to what it parsed: the detail carries nothing the contract lacks.
      expect(examGraded.parse(detail)).toEqual(detail);
      return detail;
    });
  };

  it('tells the learner once, when the grader grades the last short answer, not on each one', async () => {
    essay = await createExam(t.db, instructor, courseId, {
      chapterId,
      title: 'Essay exam',
      stage: 'final',
      weight: 10,
      questions: [
        { kind: 'choice', prompt: 'Which hitch?', choices: ['Clove', 'Granny'], answer: 0, points: 10 },
        { kind: 'short', prompt: 'Describe a lift plan.', points: 10 },
        { kind: 'short', prompt: 'Describe a tag line.', points: 10 },
      ],
    });
    const [, plan, tag] = essay.questions;
    const { who, enrollmentId } = await learner(10);
    const { sitting } = await startSitting(t.db, who, enrollmentId, essay.id, kr, at(0));
    await answerAll(who, enrollmentId, essay, false, at(60));
    await submitSitting(t.db, who, enrollmentId, essay.id, kr, at(120));
    expect(await gradedFacts(sitting.id)).toEqual([]);
    await gradeAnswer(t.db, instructor, courseId, essay.id, sitting.id, plan!.id, 10, kr, at(200));
    expect(await gradedFacts(sitting.id)).toEqual([]);
    await gradeAnswer(t.db, instructor, courseId, essay.id, sitting.id, tag!.id, 5, kr, at(300));
    // 0 + 10 + 5 of 30: 50, under kr's minimum of 60.
    const graded = {
      sittingId: sitting.id,
      contentId: essay.id,
      enrollmentId,
      courseId,
      userSub: who.sub,
      courseTitle: 'Course',
      examTitle: 'Essay exam',
      score: 50,
      passed: false,
      eventId: expect.stringMatching(/^core-\d+$/),
      occurredAt: expect.any(String),
    };
    expect(await gradedFacts(sitting.id)).toEqual([graded]);
    // A regrade changes the sitting's score, and says nothing again.
    await gradeAnswer(t.db, instructor, courseId, essay.id, sitting.id, tag!.id, 10, kr, at(400));
    expect(await submission(t.db, manager, courseId, essay.id, sitting.id)).toMatchObject({ score: 66 });
    expect(await gradedFacts(sitting.id)).toEqual([graded]);
  });

  it('tells the learner at submission when nothing waits for a grader, with no verdict where the profile sets no minimum', async () => {
    const { who, enrollmentId } = await learner(10);
    const { sitting } = await startSitting(t.db, who, enrollmentId, essay.id, standard, at(0));
    const [hitch] = essay.questions;
    // The short answers left blank: graded 0 at submission, nothing for a grader.
    await saveAnswer(t.db, who, enrollmentId, essay.id, hitch!.id, { choice: 0 }, standard, at(60));
    await submitSitting(t.db, who, enrollmentId, essay.id, standard, at(120));
    expect(await gradedFacts(sitting.id)).toEqual([
      expect.objectContaining({ sittingId: sitting.id, score: 33, passed: null }),
    ]);
  });

  it('has told exactly the sittings with a score, once each, however they were submitted and graded', async () => {
    const { rows } = await sql<{ id: string; score: number | null; facts: number }>`
      select a.id, a.score, (select count(*)::int from outbox o
        where o.type = 'exam.graded' and o.payload->>'sittingId' = a.id::text) as facts
      from exam_attempts a`.execute(t.db);
    // Sittings submitted by the timer, by the learner, graded at submission or by a grader, or still open.
    expect(rows.filter((r) => r.score !== null).length).toBeGreaterThan(5);
    expect(rows.filter((r) => r.score === null).length).toBeGreaterThan(0);
    for (const r of rows) expect([r.id, r.facts]).toEqual([r.id, r.score === null ? 0 : 1]);
  });
});
