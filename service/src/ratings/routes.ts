import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import type { RouteContext } from '../http/context';
import { rateCourse } from './ratings';

const tags = ['ratings'];

export const ratingRoutes =
  (ctx: RouteContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/me/enrollments/:enrollmentId/rating',
      {
        schema: {
          summary: 'Rate the course of a completed enrollment, once',
          tags,
          params: z.strictObject({ enrollmentId: z.uuid() }),
          body: z.strictObject({ stars: z.number().int().min(1).max(5) }),
          response: {
            201: z.object({
              enrollmentId: z.uuid(),
              courseId: z.uuid(),
              stars: z.number(),
              createdAt: z.date(),
            }),
          },
        },
      },
      async (req, reply) =>
        reply
          .code(201)
          .send(await rateCourse(ctx.db, await ctx.identity(req), req.params.enrollmentId, req.body.stars)),
    );
  };
