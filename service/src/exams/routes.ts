import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import type { RouteContext } from '../http/context';
import { text } from '../http/schemas';
import { createExam, deleteExam, examRules, getExam, listExams, replaceExam } from './exams';
import { gradeAnswer, grantRetake, listTakers, submission } from './grading';
import { latestSitting, learnerExams, saveAnswer, startSitting, submitSitting } from './sittings';

const points = z.number().int().min(1).max(100);
const question = z.discriminatedUnion('kind', [
  z
    .strictObject({
      kind: z.literal('choice'),
      prompt: text(2000),
      choices: z.array(text(500)).min(2).max(10),
      answer: z.number().int().min(0).max(9).describe('index of the right choice'),
      points,
    })
    .refine((q) => q.answer < q.choices.length, {
      message: 'must index one of the choices',
      path: ['answer'],
    }),
  z.strictObject({ kind: z.literal('short'), prompt: text(2000), points }),
]);
const examInput = z.strictObject({
  title: text(200),
  stage: z.enum(['mid', 'final']).describe('decides the progress share at which the exam opens'),
  weight: z
    .number()
    .int()
    .min(1)
    .max(100)
    .describe('share of the course’s score, relative to its other exams'),
  questions: z.array(question).min(1).max(100),
});
/** A question as learners see it; the institution sees the right answer too. */
const questionView = z.object({
  id: z.uuid(),
  kind: z.enum(['choice', 'short']),
  prompt: z.string(),
  choices: z.array(z.string()).nullable(),
  points: z.number(),
});
const questionWithAnswer = questionView.extend({ answer: z.number().nullable() });
const exam = z.object({
  id: z.uuid(),
  courseId: z.uuid(),
  chapterId: z.uuid(),
  title: z.string(),
  position: z.number(),
  state: z.enum(['active', 'archived']),
  stage: z.enum(['mid', 'final']),
  weight: z.number(),
  maxPoints: z.number(),
  questions: z.array(questionWithAnswer),
});
const sittingState = z.enum(['open', 'due', 'submitted', 'graded']);
const response = z
  .object({ choice: z.number().nullable(), text: z.string().nullable(), savedAt: z.date() })
  .nullable();
/** What the learner and the institution both see of a sitting. */
const sittingTimes = z.object({
  id: z.uuid(),
  attemptNo: z.number(),
  startedAt: z.date(),
  deadlineAt: z.date().nullable(),
  submittedAt: z.date().nullable(),
  submittedBy: z.enum(['learner', 'timer']).nullable(),
  maxPoints: z.number(),
  score: z.number().nullable(),
});
const sitting = sittingTimes.extend({
  examId: z.uuid(),
  state: sittingState.describe('due: the time is up and the timer is about to submit it'),
  secondsLeft: z.number().nullable(),
  questions: z.array(questionView.extend({ response, awardedPoints: z.number().nullable() })),
});
const submissionView = sittingTimes.extend({
  enrollmentId: z.uuid(),
  userSub: z.string(),
  questions: z.array(
    questionWithAnswer.extend({
      response,
      awardedPoints: z.number().nullable(),
      gradedBy: z.string().nullable(),
      gradedAt: z.date().nullable(),
    }),
  ),
});
const courseParams = z.strictObject({ courseId: z.uuid() });
const examParams = z.strictObject({ courseId: z.uuid(), examId: z.uuid() });
const attemptParams = examParams.extend({ attemptId: z.uuid() });
const learnerParams = z.strictObject({ enrollmentId: z.uuid(), examId: z.uuid() });
const tags = ['exams'];

export const examRoutes =
  (ctx: RouteContext): FastifyPluginAsyncZod =>
  async (app) => {
    // The institution writes exams and grades them.
    app.post(
      '/courses/:courseId/exams',
      {
        schema: {
          summary: 'Append an exam (multiple choice and short answer questions) to a chapter',
          tags,
          params: courseParams,
          body: examInput.extend({ chapterId: z.uuid() }),
          response: { 201: exam },
        },
      },
      async (req, reply) => {
        const created = await createExam(ctx.db, await ctx.caller(req), req.params.courseId, req.body);
        return reply.code(201).send(created);
      },
    );
    app.get(
      '/courses/:courseId/exams',
      {
        schema: {
          summary: 'A course’s exams, with how many sat each',
          tags,
          params: courseParams,
          response: {
            200: z.array(
              z.object({
                id: z.uuid(),
                chapterId: z.uuid(),
                title: z.string(),
                state: z.enum(['active', 'archived']),
                stage: z.enum(['mid', 'final']),
                weight: z.number(),
                questions: z.number(),
                maxPoints: z.number(),
                attempts: z.number(),
              }),
            ),
          },
        },
      },
      async (req) => listExams(ctx.db, await ctx.caller(req), req.params.courseId),
    );
    app.get(
      '/courses/:courseId/exams/:examId',
      {
        schema: {
          summary: 'An exam with its questions and answers, and the rules it runs under',
          tags,
          params: examParams,
          response: {
            200: exam.extend({
              rules: z
                .object({
                  minutes: z
                    .number()
                    .nullable()
                    .describe('from the start to the automatic submission; none: untimed'),
                  attempts: z
                    .number()
                    .nullable()
                    .describe('sittings per learner before a retake; none: unlimited'),
                  passMark: z
                    .number()
                    .nullable()
                    .describe('the course score of 100 that passes; none: no pass mark'),
                  opensAtProgress: z
                    .number()
                    .describe('the share of the course learned at which the exam opens'),
                })
                .describe('the institution’s compliance profile’s, the same for every exam of its stage'),
            }),
          },
        },
      },
      async (req) => {
        const found = await getExam(ctx.db, await ctx.caller(req), req.params.courseId, req.params.examId);
        return { ...found, rules: examRules(ctx.compliance, found.stage) };
      },
    );
    app.put(
      '/courses/:courseId/exams/:examId',
      {
        schema: {
          summary: 'Replace an exam’s title, stage, weight and questions, while nobody has sat it',
          tags,
          params: examParams,
          body: examInput,
          response: { 200: exam },
        },
      },
      async (req) =>
        replaceExam(ctx.db, await ctx.caller(req), req.params.courseId, req.params.examId, req.body),
    );
    app.delete(
      '/courses/:courseId/exams/:examId',
      { schema: { summary: 'Delete an exam nobody has sat', tags, params: examParams } },
      async (req, reply) => {
        await deleteExam(ctx.db, await ctx.caller(req), req.params.courseId, req.params.examId);
        return reply.code(204).send();
      },
    );
    app.get(
      '/courses/:courseId/exams/:examId/attempts',
      {
        schema: {
          summary: 'Who sat an exam: every sitting, with its score and the answers waiting for a grade',
          tags,
          params: examParams,
          response: {
            200: z.array(
              z.object({
                attemptId: z.uuid(),
                enrollmentId: z.uuid(),
                userSub: z.string(),
                email: z.string().nullable(),
                provisionId: z.uuid(),
                companyId: z
                  .uuid()
                  .nullable()
                  .describe('none for a learner who registered for an open session'),
                attemptNo: z.number(),
                startedAt: z.date(),
                deadlineAt: z.date().nullable(),
                submittedAt: z.date().nullable(),
                submittedBy: z.enum(['learner', 'timer']).nullable(),
                score: z.number().nullable(),
                pendingAnswers: z.number(),
              }),
            ),
          },
        },
      },
      async (req) => listTakers(ctx.db, await ctx.caller(req), req.params.courseId, req.params.examId),
    );
    app.get(
      '/courses/:courseId/exams/:examId/attempts/:attemptId',
      {
        schema: {
          summary: 'One submission: each question’s right answer, the learner’s response, the points',
          tags,
          params: attemptParams,
          response: { 200: submissionView },
        },
      },
      async (req) =>
        submission(
          ctx.db,
          await ctx.caller(req),
          req.params.courseId,
          req.params.examId,
          req.params.attemptId,
        ),
    );
    app.put(
      '/courses/:courseId/exams/:examId/attempts/:attemptId/grades/:questionId',
      {
        schema: {
          summary: 'Grade a short answer of a submitted sitting',
          tags,
          params: attemptParams.extend({ questionId: z.uuid() }),
          body: z.strictObject({ points: z.number().int().min(0).max(100) }),
          response: { 200: submissionView },
        },
      },
      async (req) =>
        gradeAnswer(
          ctx.db,
          await ctx.caller(req),
          req.params.courseId,
          req.params.examId,
          req.params.attemptId,
          req.params.questionId,
          req.body.points,
          ctx.compliance,
          ctx.now(),
        ),
    );
    app.post(
      '/provisions/:provisionId/enrollments/:enrollmentId/exams/:examId/retakes',
      {
        schema: {
          summary: 'Grant a learner one more sitting of an exam, with the reason on the record',
          tags,
          params: z.strictObject({ provisionId: z.uuid(), enrollmentId: z.uuid(), examId: z.uuid() }),
          body: z.strictObject({ reason: text(1000) }),
          response: {
            201: z.object({
              id: z.uuid(),
              examId: z.uuid(),
              enrollmentId: z.uuid(),
              reason: z.string(),
              grantedBy: z.string(),
              grantedAt: z.date(),
              attemptsAllowed: z.number(),
            }),
          },
        },
      },
      async (req, reply) => {
        const p = req.params;
        const granted = await grantRetake(
          ctx.db,
          await ctx.caller(req),
          p.provisionId,
          p.enrollmentId,
          p.examId,
          req.body.reason,
          ctx.compliance,
          ctx.now(),
        );
        return reply.code(201).send(granted);
      },
    );

    // The learner sits them.
    app.get(
      '/me/enrollments/:enrollmentId/exams',
      {
        schema: {
          summary: 'The course’s exams for the caller: whether each is open now, and why not',
          tags,
          params: z.strictObject({ enrollmentId: z.uuid() }),
          response: {
            200: z.array(
              z.object({
                examId: z.uuid(),
                title: z.string(),
                stage: z.enum(['mid', 'final']),
                weight: z.number(),
                questions: z.number(),
                maxPoints: z.number(),
                minutes: z
                  .number()
                  .nullable()
                  .describe('minutes from the start to the automatic submission; none when untimed'),
                minScore: z.number().nullable().describe('the pass mark of 100; none when there is none'),
                open: z.boolean(),
                gate: z.enum(['outside-period', 'progress', 'no-attempts-left']).nullable(),
                requiredShare: z.number(),
                progressShare: z.number(),
                attemptsUsed: z.number(),
                attemptsAllowed: z.number().nullable(),
                latest: z
                  .object({
                    attemptId: z.uuid(),
                    attemptNo: z.number(),
                    state: sittingState,
                    deadlineAt: z.date().nullable(),
                    submittedAt: z.date().nullable(),
                    score: z.number().nullable(),
                  })
                  .nullable(),
              }),
            ),
          },
        },
      },
      async (req) =>
        learnerExams(ctx.db, await ctx.identity(req), req.params.enrollmentId, ctx.compliance, ctx.now()),
    );
    app.post(
      '/me/enrollments/:enrollmentId/exams/:examId/sitting',
      {
        schema: {
          summary: 'Start a sitting (201), or resume the open one (200) with its clock still running',
          tags,
          params: learnerParams,
          response: { 200: sitting, 201: sitting },
        },
      },
      async (req, reply) => {
        const { started, sitting: s } = await startSitting(
          ctx.db,
          await ctx.identity(req),
          req.params.enrollmentId,
          req.params.examId,
          ctx.compliance,
          ctx.now(),
        );
        return reply.code(started ? 201 : 200).send(s);
      },
    );
    app.get(
      '/me/enrollments/:enrollmentId/exams/:examId/sitting',
      {
        schema: {
          summary: 'The caller’s latest sitting of an exam',
          tags,
          params: learnerParams,
          response: { 200: sitting },
        },
      },
      async (req) =>
        latestSitting(ctx.db, await ctx.identity(req), req.params.enrollmentId, req.params.examId, ctx.now()),
    );
    app.put(
      '/me/enrollments/:enrollmentId/exams/:examId/sitting/answers/:questionId',
      {
        schema: {
          summary: 'Save one answer of the open sitting: a choice, or a text',
          tags,
          params: learnerParams.extend({ questionId: z.uuid() }),
          body: z
            .strictObject({
              choice: z.number().int().min(0).max(9).optional(),
              text: z.string().max(5000).optional(),
            })
            .refine((b) => (b.choice === undefined) !== (b.text === undefined), 'give a choice or a text'),
          response: {
            200: z.object({ questionId: z.uuid(), savedAt: z.date(), secondsLeft: z.number().nullable() }),
          },
        },
      },
      async (req) =>
        saveAnswer(
          ctx.db,
          await ctx.identity(req),
          req.params.enrollmentId,
          req.params.examId,
          req.params.questionId,
          req.body,
          ctx.compliance,
          ctx.now(),
        ),
    );
    app.post(
      '/me/enrollments/:enrollmentId/exams/:examId/sitting/submit',
      {
        schema: {
          summary: 'Hand in the open sitting',
          tags,
          params: learnerParams,
          response: { 200: sitting },
        },
      },
      async (req) =>
        submitSitting(
          ctx.db,
          await ctx.identity(req),
          req.params.enrollmentId,
          req.params.examId,
          ctx.compliance,
          ctx.now(),
        ),
    );
  };
