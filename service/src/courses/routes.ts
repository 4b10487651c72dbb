import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import type { RouteContext } from '../http/context';
import { addChapter, addContent, createCourse, getCourse, listCourses, setCourseState } from './courses';

const text = (max: number) => z.string().trim().min(1).max(max);
const courseState = z.enum(['draft', 'published', 'archived']);
const course = z.object({
  id: z.uuid(),
  institutionId: z.uuid(),
  title: z.string(),
  introduction: z.string(),
  instructorSub: z.string().nullable(),
  coverImageUrl: z.string().nullable(),
  state: courseState,
  createdAt: z.date(),
  updatedAt: z.date(),
});
const content = z.object({
  id: z.uuid(),
  chapterId: z.uuid(),
  kind: z.enum(['video', 'material', 'exam']),
  title: z.string(),
  position: z.number(),
  mediaState: z.enum(['pending', 'ready', 'failed']).nullable(),
});
const chapter = z.object({ id: z.uuid(), title: z.string(), position: z.number() });
const courseParams = z.strictObject({ courseId: z.uuid() });
const tags = ['courses'];

export const courseRoutes =
  (ctx: RouteContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/courses',
      {
        schema: {
          summary: 'Create a draft course in the caller’s institution',
          tags,
          body: z.strictObject({
            title: text(200),
            introduction: z.string().max(20000).optional(),
            instructorSub: z.string().min(1).max(128).nullable().optional(),
            coverImageUrl: z
              .url({ protocol: /^https$/ })
              .max(2048)
              .nullable()
              .optional(),
          }),
          response: { 201: course },
        },
      },
      async (req, reply) => reply.code(201).send(await createCourse(ctx.db, await ctx.caller(req), req.body)),
    );
    app.get(
      '/courses',
      {
        schema: {
          summary: 'Courses: the institution’s own, or the published catalogue',
          tags,
          querystring: z.strictObject({
            state: courseState.optional(),
            limit: z.coerce.number().int().min(1).max(200).default(50),
          }),
          response: { 200: z.array(course) },
        },
      },
      async (req) => listCourses(ctx.db, await ctx.caller(req), req.query),
    );
    app.get(
      '/courses/:courseId',
      {
        schema: {
          summary: 'A course with its curriculum',
          tags,
          params: courseParams,
          response: {
            200: course.extend({
              enrollment: z.object({ id: z.uuid(), provisionId: z.uuid(), enrolledAt: z.date() }).nullable(),
              chapters: z.array(
                chapter.extend({
                  contents: z.array(content.extend({ durationSeconds: z.number().nullable() })),
                }),
              ),
            }),
          },
        },
      },
      async (req) => getCourse(ctx.db, await ctx.caller(req), req.params.courseId),
    );
    app.post(
      '/courses/:courseId/chapters',
      {
        schema: {
          summary: 'Append a chapter',
          tags,
          params: courseParams,
          body: z.strictObject({ title: text(200) }),
          response: { 201: chapter },
        },
      },
      async (req, reply) =>
        reply
          .code(201)
          .send(await addChapter(ctx.db, await ctx.caller(req), req.params.courseId, req.body.title)),
    );
    app.post(
      '/courses/:courseId/chapters/:chapterId/contents',
      {
        schema: {
          summary: 'Append a content to a chapter',
          tags,
          params: z.strictObject({ courseId: z.uuid(), chapterId: z.uuid() }),
          body: z.strictObject({ kind: z.enum(['video', 'material', 'exam']), title: text(200) }),
          response: { 201: content },
        },
      },
      async (req, reply) =>
        reply
          .code(201)
          .send(
            await addContent(
              ctx.db,
              await ctx.caller(req),
              req.params.courseId,
              req.params.chapterId,
              req.body,
            ),
          ),
    );
    for (const [verb, state] of [
      ['publish', 'published'],
      ['archive', 'archived'],
    ] as const) {
      app.post(
        `/courses/:courseId/${verb}`,
        {
          schema: {
            summary: `${verb[0]!.toUpperCase()}${verb.slice(1)} a course`,
            tags,
            params: courseParams,
            response: { 200: course },
          },
        },
        async (req) => setCourseState(ctx.db, await ctx.caller(req), req.params.courseId, state),
      );
    }
  };
