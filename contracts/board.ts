import * as z from 'zod';

/*
 * Course boards' contract: the request schemas of the board routes and the board table's indexes. Each
 * course provision has two boards: `notice` (its institution's staff write; its learners and their company's
 * manager read) and `qna` (its learners ask; staff and learners answer in comments).
 */

export const BOARDS = ['notice', 'qna'] as const;
export type Board = (typeof BOARDS)[number];

/** The board table's secondary indexes (TABLES.board), by name. */
export const BOARD_INDEXES = {
  /** A board's posts, newest first: `gsi1pk` = `board#<provisionId>#<board>`, `gsi1sk` = the post id. */
  byBoard: 'byBoard',
  /** An author's posts across provisions, newest first: `gsi2pk` = `author#<sub>`, `gsi2sk` = the post id. */
  byAuthor: 'byAuthor',
  /**
   * Questions pinned to a video: `gsi3pk` = `video#<contentId>`, `gsi3sk` =
   * `<provisionId>#<second, 6 digits>#<postId>`. Only live questions carry it.
   */
  byVideo: 'byVideo',
} as const;

/** The longest video a question may point into: a day, far past any lecture. */
export const MAX_VIDEO_SECOND = 86_400;

const text = (max: number) => z.string().trim().min(1).max(max);

/** One line: no control characters (a body may hold line breaks and tabs). */
const title = text(200).regex(/^[^\p{Cc}]+$/u, 'no control characters');
const postBody = text(10_000);
const commentBody = text(5_000);
const limit = z.coerce.number().int().min(1).max(100).optional();
const cursor = z.string().min(1).max(1024).optional();

/** A moment of a video content of the provision's course, which a question is about. */
export const videoMoment = z.strictObject({
  contentId: z.uuid(),
  second: z.number().int().min(0).max(MAX_VIDEO_SECOND),
});

export const createPostBody = z.strictObject({
  provisionId: z.uuid(),
  board: z.enum(BOARDS),
  title,
  body: postBody,
  /** Questions only. */
  videoAt: videoMoment.optional(),
});

export const updatePostBody = z
  .strictObject({ title: title.optional(), body: postBody.optional() })
  .refine((b) => b.title !== undefined || b.body !== undefined, {
    message: 'Name at least one field to change',
  });

export const postIdParams = z.strictObject({ postId: z.uuid() });
export const commentIdParams = z.strictObject({ postId: z.uuid(), commentId: z.uuid() });

export const listPostsQuery = z.strictObject({
  provisionId: z.uuid(),
  board: z.enum(BOARDS),
  limit,
  cursor,
});

export const listMyPostsQuery = z.strictObject({ limit, cursor });

export const commentBodySchema = z.strictObject({ body: commentBody });

export const listCommentsQuery = z.strictObject({ limit, cursor });

export const acceptAnswerBody = z.strictObject({ commentId: z.uuid() });

export const questionMinutesParams = z.strictObject({ contentId: z.uuid() });
export const questionMinutesQuery = z.strictObject({
  /** Only this provision's questions. @default every provision of the institution */
  provisionId: z.uuid().optional(),
});

/*
 * What the board routes answer (lambda/board/board-records.ts shapes them): the OpenAPI document and the web
 * app's typed client come from these, and the local runner holds every answer to them.
 */
const provisionRole = z.enum(['staff', 'learner', 'company-manager']);

export const postView = z.object({
  postId: z.uuid(),
  provisionId: z.uuid(),
  board: z.enum(BOARDS),
  authorSub: z.string(),
  authorRole: provisionRole,
  mine: z.boolean(),
  title: z.string(),
  body: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  viewCount: z.number(),
  commentCount: z.number(),
  videoAt: videoMoment.optional(),
  /** Questions only: whether staff have answered, and the answer staff accepted. */
  answered: z.boolean().optional(),
  acceptedCommentId: z.uuid().nullable().optional(),
});

export const postPage = z.object({ posts: z.array(postView), cursor: z.string().optional() });

export const commentView = z.object({
  commentId: z.uuid(),
  postId: z.uuid(),
  authorSub: z.string(),
  authorRole: provisionRole,
  body: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  mine: z.boolean(),
  accepted: z.boolean(),
});

export const commentPage = z.object({ comments: z.array(commentView), cursor: z.string().optional() });

export const questionMinutesView = z.object({
  contentId: z.uuid(),
  minutes: z.array(z.object({ minute: z.number().int(), questions: z.number().int() })),
  questions: z.number().int(),
});
