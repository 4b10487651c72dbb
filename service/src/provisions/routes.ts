import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import type { RouteContext } from '../http/context';
import {
  decideProvision,
  getProvision,
  listProvisions,
  myEnrollments,
  requestProvision,
  submitAttendees,
} from './provisions';

// A calendar date PostgreSQL stores as given: zod's ISO date admits year 0000, which has no date there.
const day = z.iso
  .date()
  .refine((d) => d >= '2000-01-01' && d <= '2999-12-31', 'must be a date in the years 2000 to 2999');
const state = z.enum(['requested', 'accepted', 'rejected']);
const provision = z.object({
  id: z.uuid(),
  companyId: z.uuid(),
  courseId: z.uuid(),
  courseTitle: z.string(),
  institutionId: z.uuid(),
  companyName: z.string(),
  startsOn: z.string(),
  endsOn: z.string(),
  attendeeCount: z.number(),
  enrolledCount: z.number(),
  depositAmount: z.string().regex(/^\d+$/).describe('minor currency units'),
  state,
  decisionReason: z.string().nullable(),
  createdAt: z.date(),
  decidedAt: z.date().nullable(),
});
const params = z.strictObject({ provisionId: z.uuid() });
const tags = ['provisions'];

export const provisionRoutes =
  (ctx: RouteContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/provisions',
      {
        schema: {
          summary: 'Request a course for the company’s employees',
          tags,
          body: z
            .strictObject({
              companyId: z.uuid(),
              courseId: z.uuid(),
              startsOn: day,
              endsOn: day,
              attendeeCount: z.number().int().min(1).max(10000),
              depositAmount: z.number().int().min(0).max(1e12),
            })
            .refine((b) => b.endsOn >= b.startsOn, {
              message: 'must not be before startsOn',
              path: ['endsOn'],
            }),
          response: { 201: provision },
        },
      },
      async (req, reply) =>
        reply.code(201).send(await requestProvision(ctx.db, await ctx.caller(req), req.body)),
    );
    app.get(
      '/provisions',
      {
        schema: {
          summary: 'The caller’s provisions (company or institution side), by state',
          tags,
          querystring: z.strictObject({
            state: state.optional(),
            limit: z.coerce.number().int().min(1).max(200).default(50),
          }),
          response: { 200: z.array(provision) },
        },
      },
      async (req) => listProvisions(ctx.db, await ctx.caller(req), req.query),
    );
    app.get(
      '/provisions/:provisionId',
      { schema: { summary: 'A provision', tags, params, response: { 200: provision } } },
      async (req) => getProvision(ctx.db, await ctx.caller(req), req.params.provisionId),
    );
    app.post(
      '/provisions/:provisionId/decision',
      {
        schema: {
          summary: 'Accept or reject a requested provision',
          tags,
          params,
          body: z.discriminatedUnion('decision', [
            z.strictObject({
              decision: z.literal('accepted'),
              reason: z.string().trim().max(1000).optional(),
            }),
            z.strictObject({ decision: z.literal('rejected'), reason: z.string().trim().min(1).max(1000) }),
          ]),
          response: { 200: provision },
        },
      },
      async (req) => decideProvision(ctx.db, await ctx.caller(req), req.params.provisionId, req.body),
    );
    app.post(
      '/provisions/:provisionId/attendees',
      {
        schema: {
          summary: 'Enroll approved employees, never more than the attendee count',
          tags,
          params,
          body: z.strictObject({
            userSubs: z
              .array(z.string().min(1).max(128))
              .min(1)
              .max(500)
              .refine((a) => new Set(a).size === a.length, 'each person once'),
          }),
          response: {
            200: z.object({ enrolled: z.array(z.string()), alreadyEnrolled: z.array(z.string()) }),
          },
        },
      },
      async (req) =>
        submitAttendees(ctx.db, await ctx.caller(req), req.params.provisionId, req.body.userSubs),
    );
    app.get(
      '/me/enrollments',
      {
        schema: {
          summary: 'The caller’s courses, with progress and completion',
          tags: ['enrollments'],
          response: {
            200: z.array(
              z.object({
                id: z.uuid(),
                provisionId: z.uuid(),
                courseId: z.uuid(),
                courseTitle: z.string(),
                startsOn: z.string(),
                endsOn: z.string(),
                enrolledAt: z.date(),
                lessonsCompleted: z.number(),
                lessonsTotal: z.number(),
                completedAt: z.date().nullable(),
                certificateOn: z.string().nullable().describe('the certificate’s date, once completed'),
                score: z.number().nullable().describe('the weighted exam score of 100, once completed'),
                ratingStars: z.number().nullable().describe('the learner’s rating of the course, once given'),
              }),
            ),
          },
        },
      },
      async (req) => myEnrollments(ctx.db, await ctx.caller(req)),
    );
  };
