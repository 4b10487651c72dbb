import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import type { RouteContext } from '../http/context';
import { HttpError } from '../http/errors';
import { requireRole } from '../http/identity';
import { dayIn } from './days';
import { recordPaceReminders } from './pace-reminders';
import { enrollmentProgress, recordHeartbeat } from './progress';
import { learnerAudit, provisionProgress } from './records';

const params = z.strictObject({ enrollmentId: z.uuid() });
const tags = ['learning'];

export const learningRoutes =
  (ctx: RouteContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/me/enrollments/:enrollmentId/heartbeats',
      {
        schema: {
          summary: 'Report the player’s playhead; the server credits what real time allows',
          tags,
          params,
          body: z.strictObject({
            contentId: z.uuid(),
            sessionId: z.string().min(1).max(64).describe('one id per player tab'),
            sequence: z
              .number()
              .int()
              .min(0)
              .max(2_000_000_000)
              .describe('increases with every beat of a tab'),
            position: z.number().min(0).max(1_000_000).describe('seconds into the video'),
            playbackRate: z.number().min(0.25).max(4),
          }),
          response: {
            200: z.object({
              creditedSeconds: z.number(),
              coveredSeconds: z.number(),
              durationSeconds: z.number(),
              completed: z.boolean(),
              gate: z.enum(['outside-period', 'daily-lesson-cap']).nullable(),
              dailyLessonCap: z
                .object({ lessons: z.number().int(), timeZone: z.string() })
                .optional()
                .describe(
                  'with the daily-lesson-cap gate: the cap, and the time zone its days are counted in',
                ),
            }),
          },
        },
      },
      async (req) =>
        recordHeartbeat(
          ctx.db,
          await ctx.identity(req),
          req.params.enrollmentId,
          req.body,
          ctx.compliance,
          ctx.now(),
        ),
    );
    app.get(
      '/me/enrollments/:enrollmentId/progress',
      {
        schema: {
          summary: 'The caller’s progress in one enrollment, per content',
          tags,
          params,
          response: {
            200: z.array(
              z.object({
                contentId: z.uuid(),
                kind: z.enum(['video', 'material', 'exam']),
                durationSeconds: z.number().nullable(),
                coveredSeconds: z.number(),
                completedAt: z.date().nullable(),
                resumeSeconds: z.number().describe('where the latest beat left the playhead; 0 before any'),
              }),
            ),
          },
        },
      },
      async (req) => enrollmentProgress(ctx.db, await ctx.identity(req), req.params.enrollmentId),
    );
    app.get(
      '/provisions/:provisionId/progress',
      {
        schema: {
          summary: 'Each enrolled employee’s progress: the company’s dashboard, and the institution’s view',
          tags,
          params: z.strictObject({ provisionId: z.uuid() }),
          response: {
            200: z.array(
              z.object({
                enrollmentId: z.uuid(),
                userSub: z.string(),
                email: z.string().nullable(),
                lessonsCompleted: z.number(),
                lessonsTotal: z.number(),
                watchedSeconds: z.number(),
                completedAt: z.date().nullable(),
                certificateOn: z.string().nullable(),
                score: z.number().nullable(),
                liveLecturesAttended: z
                  .number()
                  .describe('live lectures due that the learner was present at for any time'),
                liveLecturesEnded: z
                  .number()
                  .describe('live lectures due: ended after the learner enrolled, or attended'),
                liveAttendanceRate: z
                  .number()
                  .min(0)
                  .max(1)
                  .nullable()
                  .describe('mean attendance rate over the lectures due, an absence as 0; null: none due'),
              }),
            ),
          },
        },
      },
      async (req) => provisionProgress(ctx.db, await ctx.caller(req), req.params.provisionId),
    );
    app.get(
      '/provisions/:provisionId/enrollments/:enrollmentId/audit',
      {
        schema: {
          summary:
            'A learner’s audit trail: every credit, gate decision, completion and grade; live attendance',
          tags,
          params: z.strictObject({ provisionId: z.uuid(), enrollmentId: z.uuid() }),
          response: {
            200: z.object({
              enrollmentId: z.uuid(),
              userSub: z.string(),
              entries: z.array(
                z.object({
                  id: z.string(),
                  kind: z.enum(['credit', 'gate', 'completion', 'grade']),
                  contentId: z.uuid().nullable(),
                  detail: z.record(z.string(), z.unknown()),
                  at: z.date(),
                }),
              ),
              liveLectures: z
                .array(
                  z.object({
                    lectureId: z.uuid(),
                    title: z.string(),
                    startedAt: z.date(),
                    endedAt: z.date(),
                    quizzesSent: z.number(),
                    attended: z.boolean().describe('present for any time'),
                    joinedAt: z.date().nullable(),
                    presenceSeconds: z.number(),
                    attendanceRate: z.number().min(0).max(1).describe('presence over the streamed time'),
                    quizzesAnswered: z.number(),
                    quizzesCorrect: z.number(),
                    reportedAt: z
                      .date()
                      .describe('when the live domain reported this, as of its newest report'),
                  }),
                )
                .describe('the live lectures due (ended after enrolling, or attended), by start'),
            }),
          },
        },
      },
      async (req) =>
        learnerAudit(
          ctx.db,
          await ctx.caller(req),
          req.params.provisionId,
          req.params.enrollmentId,
          ctx.auditArchive,
        ),
    );

    app.post(
      '/admin/pace-reminders',
      {
        schema: {
          summary:
            'Record the day’s pace reminders: a pace.reminder-due event for each learner behind the pace their period needs, once a day (platform admins; the scheduler’s daily pace.scan-due runs the same scan, so this is for a day missed or a run by hand)',
          tags,
          querystring: z.strictObject({
            day: z.iso
              .date()
              .optional()
              .describe('the day, in the compliance profile’s time zone; today by default, never later'),
          }),
          response: {
            200: z.object({
              day: z.iso.date(),
              enrollments: z.number().int().describe('running, uncompleted enrollments judged'),
              reminded: z.number().int().describe('reminders recorded by this call (a repeat records none)'),
              behind: z.number().int(),
              lastChance: z.number().int(),
              digests: z.number().int().describe('company digests recorded (one per company per ISO week)'),
            }),
          },
        },
      },
      async (req) => {
        requireRole(await ctx.caller(req), 'platform-admin');
        const today = dayIn(ctx.now(), ctx.compliance.timeZone);
        const day = req.query.day ?? today;
        // A later day would judge learners on progress they may yet make before it comes.
        if (day > today)
          throw new HttpError(400, 'The day has not come yet', [
            { field: 'query.day', message: `at most today (${today}) in ${ctx.compliance.timeZone}` },
          ]);
        return recordPaceReminders(ctx.db, ctx.compliance, day);
      },
    );
  };
