import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import type { RouteContext } from '../http/context';
import { patchOf, text } from '../http/schemas';
import { createCourse, getCourse, listCourses, setCourseState, updateCourse } from './courses';
import {
  addChapter,
  addContent,
  archiveContent,
  moveChapter,
  moveContent,
  removeChapter,
  removeContent,
  renameChapter,
  renameContent,
} from './curriculum';

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
  /** A live lecture's recording, for this provision's learners only; null: the course's curriculum. */
  provisionId: z.uuid().nullable(),
});
const editedContent = content.extend({ state: z.enum(['active', 'archived']) });
const chapter = z.object({
  id: z.uuid(),
  title: z.string(),
  position: z.number(),
  /** `live-recordings`: where live lecture recordings are added. */
  purpose: z.enum(['live-recordings']).nullable(),
});
const courseParams = z.strictObject({ courseId: z.uuid() });
const chapterParams = z.strictObject({ courseId: z.uuid(), chapterId: z.uuid() });
const contentParams = z.strictObject({ courseId: z.uuid(), contentId: z.uuid() });
const position = z.number().int().min(0).max(10000);
const courseInput = z.strictObject({
  title: text(200),
  introduction: z.string().max(20000).optional(),
  instructorSub: z.string().min(1).max(128).nullable().optional(),
  coverImageUrl: z
    .url({ protocol: /^https$/ })
    .max(2048)
    .nullable()
    .optional(),
});
/** A curriculum item is renamed or moved, one at a time. */
const oneOf = (b: { title?: string | undefined; position?: number | undefined }) =>
  (b.title === undefined) !== (b.position === undefined);
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
          body: courseInput,
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
                  contents: z.array(
                    content.extend({
                      durationSeconds: z.number().nullable(),
                      /** Why the video failed to transcode; null for learners and for videos that did not fail. */
                      mediaError: z.string().nullable(),
                    }),
                  ),
                }),
              ),
            }),
          },
        },
      },
      // PostgreSQL wrote the JSON (see getCourse); a string with a JSON type goes out as it is, so the
      // schema above documents it and the tests hold the two together.
      async (req, reply) => {
        const page = await getCourse(ctx.db, await ctx.identity(req), req.params.courseId);
        return reply.type('application/json').send(page as never);
      },
    );
    app.patch(
      '/courses/:courseId',
      {
        schema: {
          summary: 'Edit a course’s title, introduction, instructor or cover image',
          tags,
          params: courseParams,
          body: patchOf(courseInput),
          response: { 200: course },
        },
      },
      async (req) => updateCourse(ctx.db, await ctx.caller(req), req.params.courseId, req.body),
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
          params: chapterParams,
          body: z.strictObject({ kind: z.enum(['video', 'material']), title: text(200) }),
          response: { 201: editedContent },
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
    app.patch(
      '/courses/:courseId/chapters/:chapterId',
      {
        schema: {
          summary: 'Rename a chapter, or move it to a position (the chapters in between shift by one)',
          tags,
          params: chapterParams,
          body: z
            .strictObject({ title: text(200).optional(), position: position.optional() })
            .refine(oneOf, 'give either title or position'),
          response: { 200: chapter },
        },
      },
      async (req) => {
        const caller = await ctx.caller(req);
        const { courseId, chapterId } = req.params;
        const { title, position: to } = req.body;
        return title !== undefined
          ? renameChapter(ctx.db, caller, courseId, chapterId, title)
          : moveChapter(ctx.db, caller, courseId, chapterId, to!);
      },
    );
    app.delete(
      '/courses/:courseId/chapters/:chapterId',
      { schema: { summary: 'Remove an empty chapter', tags, params: chapterParams } },
      async (req, reply) => {
        await removeChapter(ctx.db, await ctx.caller(req), req.params.courseId, req.params.chapterId);
        return reply.code(204).send();
      },
    );
    app.patch(
      '/courses/:courseId/contents/:contentId',
      {
        schema: {
          summary: 'Rename a content, or move it to a position in its chapter or another chapter',
          tags,
          params: contentParams,
          body: z
            .strictObject({
              title: text(200).optional(),
              position: position.optional(),
              chapterId: z.uuid().optional().describe('move to this chapter of the course'),
            })
            .refine(oneOf, 'give either title or position')
            .refine((b) => !b.chapterId || b.position !== undefined, {
              message: 'moving to a chapter needs a position',
              path: ['position'],
            }),
          response: { 200: editedContent },
        },
      },
      async (req) => {
        const caller = await ctx.caller(req);
        const { courseId, contentId } = req.params;
        const { title, position: to, chapterId } = req.body;
        return title !== undefined
          ? renameContent(ctx.db, caller, courseId, contentId, title)
          : moveContent(ctx.db, caller, courseId, contentId, { chapterId, position: to! });
      },
    );
    app.post(
      '/courses/:courseId/contents/:contentId/archive',
      {
        schema: {
          summary: 'Hide a content from the curriculum, keeping learners’ records of it',
          tags,
          params: contentParams,
          response: { 200: editedContent },
        },
      },
      async (req) => archiveContent(ctx.db, await ctx.caller(req), req.params.courseId, req.params.contentId),
    );
    app.delete(
      '/courses/:courseId/contents/:contentId',
      {
        schema: {
          summary: 'Remove a content for good, while no learner is enrolled in the course',
          tags,
          params: contentParams,
        },
      },
      async (req, reply) => {
        await removeContent(ctx.db, await ctx.caller(req), req.params.courseId, req.params.contentId);
        return reply.code(204).send();
      },
    );
  };
