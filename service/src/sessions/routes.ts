import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import type { RouteContext } from '../http/context';
import { HttpError } from '../http/errors';
import { LearnerRateLimiter, type RateLimit } from './rate-limit';
import { type RefusalReason, RegistrationRefused } from './refusals';
import {
  cancel,
  myRegistrations,
  register,
  registerCart,
  rosterCursor,
  sessionRoster,
} from './registrations';
import { changeSession, getSession, listSessions, offerSession } from './sessions';

// As the provisions' dates: the years PostgreSQL stores as given.
const day = z.iso
  .date()
  .refine((d) => d >= '2000-01-01' && d <= '2999-12-31', 'must be a date in the years 2000 to 2999');
const instant = z.iso
  .datetime({ offset: true })
  .refine((t) => t >= '2000' && t < '3000', 'must be a moment in the years 2000 to 2999');
/** A moment as milliseconds, NaN unless it is a valid `instant` (whose own field reports it). */
const moment = (t: string) => (instant.safeParse(t).success ? Date.parse(t) : NaN);
const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day, HH:MM');
const isTime = (t: string | undefined) => timeOfDay.safeParse(t).success;

const session = z.object({
  id: z.uuid(),
  courseId: z.uuid(),
  courseTitle: z.string(),
  institutionId: z.uuid(),
  capacity: z.number(),
  seatsTaken: z.number(),
  seatsLeft: z.number(),
  waiting: z.number().describe('learners in line'),
  startsOn: z.string(),
  endsOn: z.string(),
  startTime: z.string().nullable().describe('HH:MM, for classroom or live sessions'),
  endTime: z.string().nullable(),
  opensAt: z.date(),
  closesAt: z.date(),
  cancelDeadline: z.date(),
  eligibleCompanyIds: z.array(z.uuid()).nullable().describe('null: anyone signed in'),
  createdAt: z.date(),
});
const registrationState = z.enum(['registered', 'waiting', 'cancelled']);
const registration = z.object({
  id: z.uuid(),
  sessionId: z.uuid(),
  state: registrationState,
  position: z.number().nullable().describe('1 for the first in line; null unless waiting'),
  enrollmentId: z.uuid().nullable().describe('the seat’s enrollment, while registered'),
  createdAt: z.date(),
  registeredAt: z.date().nullable(),
  cancelledAt: z.date().nullable(),
});
const params = z.strictObject({ sessionId: z.uuid() });
const tags = ['sessions'];

const STATUS: Record<RefusalReason, number> = {
  'not-eligible': 403,
  'not-open-yet': 409,
  closed: 409,
  full: 409,
  'schedule-overlap': 409,
  'cancel-deadline-passed': 409,
  'learning-started': 409,
  'unknown-companies': 422,
  'capacity-below-taken': 409,
  // A change whose window contradicts the session's stored one: bad input, as the same body in one POST.
  'window-inconsistent': 400,
};

/** Open registration's refusals as HTTP: domain code knows reasons, this edge knows statuses. */
async function answering<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (e) {
    if (e instanceof RegistrationRefused) throw new HttpError(STATUS[e.reason], e.message, e.fields);
    throw e;
  }
}

/** What an opening burst allows one learner by default: ten calls at once, then one a second. */
export const DEFAULT_REGISTRATION_RATE: RateLimit = { burst: 10, perSecond: 1 };

export const sessionRoutes =
  (ctx: RouteContext, rate: RateLimit = DEFAULT_REGISTRATION_RATE): FastifyPluginAsyncZod =>
  async (app) => {
    const limiter = new LearnerRateLimiter(rate, () => ctx.now());
    // After validation: a request refused for its shape costs the database nothing, and is not counted.
    const limited = {
      preHandler: async (req: FastifyRequest, reply: FastifyReply) => {
        const wait = limiter.take((await ctx.identity(req)).sub);
        if (wait === undefined) return;
        void reply.header('retry-after', String(wait));
        throw new HttpError(429, `Too many registration requests; try again in ${wait} s`);
      },
    };
    app.post(
      '/sessions',
      {
        schema: {
          summary: 'Offer a published course as an open session learners register for themselves',
          tags,
          body: z
            .strictObject({
              courseId: z.uuid(),
              capacity: z.number().int().min(1).max(10000),
              startsOn: day,
              endsOn: day,
              startTime: timeOfDay.optional(),
              endTime: timeOfDay.optional(),
              opensAt: instant,
              closesAt: instant,
              cancelDeadline: instant,
              eligibleCompanyIds: z
                .array(z.uuid())
                .min(1)
                .max(100)
                .refine((a) => new Set(a).size === a.length, 'each company once')
                .optional()
                .describe('approved employees of these companies only; absent: anyone signed in'),
            })
            .refine((b) => b.endsOn >= b.startsOn, {
              message: 'must not be before startsOn',
              path: ['endsOn'],
            })
            .refine((b) => (b.startTime === undefined) === (b.endTime === undefined), {
              message: 'give both times or neither',
              path: ['endTime'],
            })
            .refine((b) => !isTime(b.startTime) || !isTime(b.endTime) || b.endTime! > b.startTime!, {
              message: 'must be after startTime',
              path: ['endTime'],
            })
            // Only moments that parsed are compared: one that did not is refused by its own field.
            .refine((b) => !(moment(b.closesAt) <= moment(b.opensAt)), {
              message: 'must be after opensAt',
              path: ['closesAt'],
            })
            .refine((b) => !(moment(b.cancelDeadline) < moment(b.opensAt)), {
              message: 'must not be before opensAt',
              path: ['cancelDeadline'],
            }),
          response: { 201: session },
        },
      },
      async (req, reply) =>
        reply.code(201).send(await answering(offerSession(ctx.db, await ctx.caller(req), req.body))),
    );
    app.get(
      '/sessions',
      {
        schema: {
          summary: 'Open sessions the caller may see, by opening time',
          tags,
          querystring: z.strictObject({
            courseId: z.uuid().optional(),
            institutionId: z.uuid().optional().describe('sessions of this institution only'),
            q: z.string().trim().min(1).max(200).optional().describe('words of the course title'),
            from: day.optional().describe('starting on or after this day'),
            to: day.optional().describe('starting on or before this day'),
            seatsLeft: z
              .enum(['true', 'false'])
              .transform((v) => v === 'true')
              .optional()
              .describe('true: only sessions with a seat left'),
            limit: z.coerce.number().int().min(1).max(200).default(50),
          }),
          response: { 200: z.array(session) },
        },
      },
      async (req) => listSessions(ctx.db, await ctx.caller(req), req.query),
    );
    app.get(
      '/sessions/:sessionId',
      { schema: { summary: 'An open session', tags, params, response: { 200: session } } },
      async (req) => getSession(ctx.db, await ctx.caller(req), req.params.sessionId),
    );
    app.patch(
      '/sessions/:sessionId',
      {
        schema: {
          summary: 'Change a session’s capacity, registration window or cancellation deadline',
          description:
            'For the institution’s managers. Seats a raised capacity adds go to the first in line at once, as ' +
            'a cancelled seat does (each promotion announced as `enrollment.created` and `waitlist.promoted`); ' +
            'a capacity below the seats taken answers 409 naming `body.capacity`. The window must stay ' +
            'consistent with what is not changed: opensAt before closesAt, cancelDeadline not before opensAt.',
          tags,
          params,
          body: z
            .strictObject({
              capacity: z.number().int().min(1).max(10000),
              opensAt: instant,
              closesAt: instant,
              cancelDeadline: instant,
            })
            .partial()
            .refine((b) => Object.keys(b).length > 0, 'change at least one field')
            // Moments given together are compared here; against stored ones, by the service.
            .refine((b) => !(moment(b.closesAt ?? '') <= moment(b.opensAt ?? '')), {
              message: 'must be after opensAt',
              path: ['closesAt'],
            })
            .refine((b) => !(moment(b.cancelDeadline ?? '') < moment(b.opensAt ?? '')), {
              message: 'must not be before opensAt',
              path: ['cancelDeadline'],
            }),
          response: { 200: session },
        },
      },
      async (req) => answering(changeSession(ctx.db, await ctx.caller(req), req.params.sessionId, req.body)),
    );
    app.get(
      '/sessions/:sessionId/registrations',
      {
        schema: {
          summary: 'Who holds a seat in a session and who waits, in arrival order, a page at a time',
          description:
            'For the session’s institution (managers and instructors) and platform admins. Seats and places ' +
            'in line are in the order the server decided them; a waiting learner’s `position` is their place ' +
            'in line (1 first). `state` narrows to one of them.',
          tags,
          params,
          querystring: z.strictObject({
            state: z.enum(['registered', 'waiting']).optional(),
            limit: z.coerce.number().int().min(1).max(200).default(50),
            cursor: z
              .string()
              .max(64)
              .refine((c) => rosterCursor.decode(c) !== undefined, 'not a cursor this listing gave out')
              .optional(),
          }),
          response: {
            200: z.object({
              registrations: z.array(
                z.object({
                  id: z.uuid(),
                  userSub: z.string(),
                  email: z
                    .string()
                    .nullable()
                    .describe('from the learner’s approved company affiliation; null when the core has none'),
                  state: z.enum(['registered', 'waiting']),
                  position: z.number().nullable().describe('1 for the first in line; null unless waiting'),
                  enrollmentId: z.uuid().nullable(),
                  createdAt: z.date(),
                  registeredAt: z.date().nullable(),
                }),
              ),
              cursor: z.string().optional().describe('Present when more follow: send it for the next page'),
            }),
          },
        },
      },
      async (req) => {
        const { cursor, ...query } = req.query;
        return sessionRoster(ctx.db, await ctx.caller(req), req.params.sessionId, {
          ...query,
          after: cursor === undefined ? undefined : rosterCursor.decode(cursor),
        });
      },
    );
    app.post(
      '/sessions/:sessionId/registrations',
      {
        ...limited,
        schema: {
          summary:
            'Register the caller for a session inside its window (201); the registration they hold already (200)',
          description:
            'A full session answers 409 unless `waitlist` is true: then the caller waits in line, ordered by ' +
            'the server’s arrival time, and gets the first seat freed ahead of anyone after them. A session ' +
            'whose times overlap one the caller holds or waits for answers 409 naming it.',
          tags,
          params,
          body: z.strictObject({ waitlist: z.boolean().default(false) }),
          response: { 200: registration, 201: registration },
        },
      },
      async (req, reply) => {
        const { registration: r, created } = await answering(
          register(ctx.db, await ctx.caller(req), req.params.sessionId, req.body, ctx.now()),
        );
        return reply.code(created ? 201 : 200).send(r);
      },
    );
    app.post(
      '/me/registrations',
      {
        ...limited,
        schema: {
          summary: 'Register the caller for several sessions at once, each item on its own',
          description:
            'Items are taken in the order given; each succeeds or fails alone, and the answer says which and ' +
            'why (`reason`: not-eligible, not-open-yet, closed, full, schedule-overlap, not-found).',
          tags,
          body: z.strictObject({
            items: z
              .array(z.strictObject({ sessionId: z.uuid(), waitlist: z.boolean().default(false) }))
              .min(1)
              .max(10)
              .refine((a) => new Set(a.map((i) => i.sessionId)).size === a.length, 'each session once'),
          }),
          response: {
            200: z.object({
              items: z.array(
                z.discriminatedUnion('ok', [
                  z.object({
                    sessionId: z.uuid(),
                    ok: z.literal(true),
                    created: z.boolean().describe('false: a registration the caller held already'),
                    registration,
                  }),
                  z.object({
                    sessionId: z.uuid(),
                    ok: z.literal(false),
                    reason: z.string(),
                    detail: z.string(),
                  }),
                ]),
              ),
            }),
          },
        },
      },
      async (req) => ({
        items: await registerCart(ctx.db, await ctx.caller(req), req.body.items, ctx.now()),
      }),
    );
    app.get(
      '/me/registrations',
      {
        schema: {
          summary: 'The caller’s registrations, newest first, with their place in line',
          tags,
          querystring: z.strictObject({
            state: registrationState.optional(),
            limit: z.coerce.number().int().min(1).max(200).default(50),
          }),
          response: {
            200: z.array(registration.extend({ courseId: z.uuid(), courseTitle: z.string() })),
          },
        },
      },
      async (req) => myRegistrations(ctx.db, await ctx.caller(req), req.query),
    );
    app.delete(
      '/me/registrations/:sessionId',
      {
        ...limited,
        schema: {
          summary:
            'Cancel the caller’s seat or place in line before the deadline; the seat goes to the first in line',
          tags,
          params,
          response: { 200: registration },
        },
      },
      async (req) => answering(cancel(ctx.db, await ctx.caller(req), req.params.sessionId, ctx.now())),
    );
  };
