import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import type { RouteContext } from '../http/context';
import { pageQuery } from '../http/page-cursor';
import { activity, completion, popularCourses, ratings } from './analytics';

// The years PostgreSQL dates of this service admit (see the provisions' `day`).
const MONTH = /^2\d{3}-(0[1-9]|1[0-2])$/;
/** Months a chart asks for at most: a bound on the series one request may make the database build. */
const MAX_MONTHS = 36;

const month = z.string().regex(MONTH, 'a month YYYY-MM in the years 2000 to 2999');
const monthNumber = (m: string) => Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7));
/** Both months valid: a wrong one is named on its own, not again as a wrong range. */
const bothMonths = (r: { from: string; to: string }) => MONTH.test(r.from) && MONTH.test(r.to);
const monthRange = <T extends z.ZodObject<{ from: typeof month; to: typeof month }>>(schema: T) =>
  schema
    .refine((r) => !bothMonths(r) || r.to >= r.from, { message: 'must not be before from', path: ['to'] })
    .refine((r) => !bothMonths(r) || monthNumber(r.to) - monthNumber(r.from) < MAX_MONTHS, {
      message: `at most ${MAX_MONTHS} months from from`,
      path: ['to'],
    });

const params = z.strictObject({ institutionId: z.uuid() });
const tags = ['analytics'];

export const analyticsRoutes =
  (ctx: RouteContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/institutions/:institutionId/analytics/popular-courses',
      {
        schema: {
          summary: 'Enrollments per month and course, most enrolled first',
          tags,
          params,
          querystring: monthRange(
            z.strictObject({
              from: month,
              to: month,
              top: z.coerce
                .number()
                .int()
                .min(1)
                .max(100)
                .default(10)
                .describe('the most enrolled courses a month, at most 100'),
            }),
          ),
          response: {
            200: z.array(
              z.object({
                month: z.string(),
                courses: z.array(
                  z.object({ courseId: z.uuid(), title: z.string(), enrollments: z.number() }),
                ),
              }),
            ),
          },
        },
      },
      async (req) =>
        popularCourses(
          ctx.db,
          await ctx.caller(req),
          req.params.institutionId,
          req.query,
          ctx.compliance.timeZone,
        ),
    );
    app.get(
      '/institutions/:institutionId/analytics/activity',
      {
        schema: {
          summary: 'Running provisions, their companies and learners, per month or quarter',
          tags,
          params,
          querystring: monthRange(
            z.strictObject({ period: z.enum(['month', 'quarter']), from: month, to: month }),
          ),
          response: {
            200: z.array(
              z.object({
                period: z.string().describe('2027-03 or 2027-Q1'),
                companies: z.number(),
                learners: z.number(),
                runningProvisions: z.number(),
              }),
            ),
          },
        },
      },
      async (req) =>
        activity(ctx.db, await ctx.caller(req), req.params.institutionId, req.query.period, req.query),
    );
    app.get(
      '/institutions/:institutionId/analytics/completion',
      {
        schema: {
          summary: 'Attendance (live lectures included) and completion per company and course, by name',
          tags,
          params,
          querystring: z.strictObject({
            companyId: z.uuid().optional().describe('only this company’s provisions'),
            courseId: z.uuid().optional().describe('only this course’s provisions'),
            ...pageQuery(50, 200),
          }),
          response: {
            200: z.object({
              rows: z.array(
                z.object({
                  companyId: z.uuid(),
                  companyName: z.string(),
                  courseId: z.uuid(),
                  courseTitle: z.string(),
                  enrolled: z.number(),
                  attended: z
                    .number()
                    .describe('took part: credited watching, an exam sitting or live presence'),
                  completed: z.number(),
                  attendanceRate: z.number().min(0).max(1).describe('attended / enrolled'),
                  completionRate: z.number().min(0).max(1),
                  liveLectures: z.number().describe('live lectures of these provisions that ended'),
                  liveAttendanceRate: z
                    .number()
                    .min(0)
                    .max(1)
                    .nullable()
                    .describe(
                      'mean attendance rate over each enrolled learner and live lecture due to them (ended after they enrolled, or attended), an absence as 0; null: none due',
                    ),
                }),
              ),
              cursor: z
                .string()
                .optional()
                .describe('Present when more rows follow: send it for the next page'),
            }),
          },
        },
      },
      async (req) => completion(ctx.db, await ctx.caller(req), req.params.institutionId, req.query),
    );
    app.get(
      '/institutions/:institutionId/analytics/ratings',
      {
        schema: {
          summary:
            'Each course’s ratings, most rated first: how many, the average and the spread over one to five stars',
          tags,
          params,
          querystring: z.strictObject(pageQuery(50, 200)),
          response: {
            200: z.object({
              courses: z.array(
                z.object({
                  courseId: z.uuid(),
                  title: z.string(),
                  ratings: z.number(),
                  average: z.number().nullable(),
                  distribution: z.array(z.number()).length(5).describe('ratings of 1, 2, 3, 4 and 5 stars'),
                }),
              ),
              cursor: z
                .string()
                .optional()
                .describe('Present when more courses follow: send it for the next page'),
            }),
          },
        },
      },
      async (req) => ratings(ctx.db, await ctx.caller(req), req.params.institutionId, req.query),
    );
  };
