import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type * as z from 'zod';
import type { Identity } from '#contracts/access-token';
import {
  BOARD_INDEXES,
  type Board,
  type createPostBody,
  type listMyPostsQuery,
  type listPostsQuery,
  type updatePostBody,
} from '#contracts/board';
import { type ContentItem, contentKey, managesInstitution, provisionFacts } from '../access/access';
import { getItems, type ItemRequest } from '../shared/batch-get';
import { CreateGuard, createdThenRemoved } from '../shared/create-guard';
import { conflict, notAllowed, notFound, unfit } from '../shared/domain-error';
import { cursorShape, decodeCursor, encodeCursor } from '../shared/page-cursor';
import { timeOrderedUuid } from '../shared/time-ordered-id';
import { transactWrite } from '../shared/transact';
import { writeIf } from '../shared/write-if';
import { provisionAccess, type ProvisionRole, roleIn } from './board-access';
import {
  authorPartition,
  type BoardDeps,
  boardPartition,
  INDEX_ATTRIBUTES,
  type PostItem,
  postIndexKeys,
  postKey,
  postView,
  type PostView,
  videoPartition,
  videoSortPrefix,
  viewKey,
} from './board-records';

/*
 * Posts of the course boards. A provision's notice board is written by its institution's staff and read by
 * its learners and their company's manager; its Q&A board is asked on by its learners and read by them and
 * staff. Anyone outside the provision gets the 404 of a provision or post that does not exist; someone in
 * it asking for what their part does not allow gets 403.
 */

type Caller = Pick<Identity, 'sub'>;

const DEFAULT_PAGE = 20;

/** Who reads a board. */
export const mayRead = (role: ProvisionRole, board: Board) =>
  board === 'notice' || role !== 'company-manager';

/** Who writes a board's posts: staff notices, learners questions. */
const WRITER: Record<Board, ProvisionRole> = { notice: 'staff', qna: 'learner' };

const noSuchPost = () =>
  notFound('No such post', { field: 'path.postId', message: 'no post you may see has this id' });

/**
 * A live post and the caller's part in its provision, or the 404 of a post that does not exist. `also` are
 * further items of the board table read in the same BatchGetItem (the caller's view marker, a comment).
 */
export async function accessPost(
  deps: BoardDeps,
  caller: Caller,
  postId: string,
  also: readonly { pk: string; sk: string }[] = [],
): Promise<{ post: PostItem; role: ProvisionRole; also: (Record<string, unknown> | undefined)[] }> {
  const requests: ItemRequest[] = [postKey(postId), ...also].map((key) => ({
    table: deps.boardTable,
    key,
    consistent: true,
  }));
  const [item, ...rest] = await getItems(deps.ddb, requests);
  const post = item as PostItem | undefined;
  if (!post || post.deletedAt) throw noSuchPost();
  const role = await roleIn(deps.ddb, deps.accessTable, caller.sub, post);
  if (!role) throw noSuchPost();
  if (!mayRead(role, post.board)) throw notAllowed('Company managers read the notice board only');
  return { post, role, also: rest };
}

/** The content a question points into: a video of the provision's course (or a recording of this provision). */
async function checkVideo(deps: BoardDeps, courseId: string, provisionId: string, contentId: string) {
  const [item] = await getItems(deps.ddb, [{ table: deps.accessTable, key: contentKey(contentId) }]);
  const content = item as ContentItem | undefined;
  const field = { field: 'body.videoAt.contentId', message: 'not a video of this provision’s course' };
  if (
    !content ||
    content.courseId !== courseId ||
    content.state !== 'active' ||
    (content.provisionId !== undefined && content.provisionId !== provisionId)
  ) {
    throw notFound('No such video in this course', field);
  }
  if (content.kind !== 'video') throw unfit(`The content is a ${content.kind}, not a video`, field);
}

/**
 * Writes a notice (staff) or a question (learners). Only questions point into a video. The post's id orders
 * posts by time, so listings need no second sort attribute. With an idempotency key, a retry answers the
 * post its first attempt wrote (as it is now) and writes nothing (create-guard.ts).
 */
export async function createPost(
  deps: BoardDeps,
  caller: Caller,
  body: z.infer<typeof createPostBody>,
  idempotencyKey?: string,
): Promise<PostView> {
  const access = await provisionAccess(deps.ddb, deps.accessTable, caller.sub, body.provisionId);
  if (!access) {
    throw notFound('No such provision', {
      field: 'body.provisionId',
      message: 'no provision you take part in has this id',
    });
  }
  if (access.role !== WRITER[body.board]) {
    throw notAllowed(
      body.board === 'notice'
        ? 'Only the institution’s staff write notices'
        : 'Only the provision’s learners ask questions',
    );
  }
  if (access.provision.state !== 'accepted') {
    throw conflict(`The provision is ${access.provision.state}, not accepted`, {
      field: 'body.provisionId',
      message: `the provision is ${access.provision.state}`,
    });
  }
  if (body.videoAt && body.board !== 'qna') {
    throw unfit('Only questions point into a video', {
      field: 'body.videoAt',
      message: 'notices have no video moment',
    });
  }
  if (body.videoAt) await checkVideo(deps, access.home.courseId, body.provisionId, body.videoAt.contentId);
  const now = deps.now();
  const at = now.toISOString();
  const post: PostItem = {
    ...access.home,
    postId: timeOrderedUuid(now),
    board: body.board,
    authorSub: caller.sub,
    authorRole: access.role,
    title: body.title,
    body: body.body,
    createdAt: at,
    updatedAt: at,
    viewCount: 0,
    commentCount: 0,
    staffAnswerCount: 0,
    ...(body.videoAt ? { videoAt: body.videoAt } : {}),
  };
  const write = {
    TableName: deps.boardTable,
    Item: { ...postKey(post.postId), ...postIndexKeys(post), ...post },
    ConditionExpression: 'attribute_not_exists(pk)',
  };
  if (idempotencyKey === undefined) {
    await deps.ddb.send(new PutCommand(write));
    return postView(post, caller.sub);
  }
  const guard = new CreateGuard(
    deps.boardTable,
    { kind: 'board-post', sub: caller.sub, key: idempotencyKey },
    body,
  );
  const failed = await transactWrite(
    deps.ddb,
    { TransactItems: [guard.put(post.postId, at), { Put: write }] },
    deps,
  );
  if (!failed) return postView(post, caller.sub);
  const { Item } = await deps.ddb.send(
    new GetCommand({
      TableName: deps.boardTable,
      Key: postKey(await guard.firstCreated(deps.ddb)),
      ConsistentRead: true,
    }),
  );
  const first = Item as PostItem | undefined;
  if (!first || first.deletedAt) throw createdThenRemoved('post');
  return postView(first, caller.sub);
}

/** One page of an index listing, newest first. */
async function queryPage(
  deps: BoardDeps,
  index: 'byBoard' | 'byAuthor',
  partition: { readonly name: string; readonly value: string; readonly sortName: string },
  page: { readonly limit?: number | undefined; readonly cursor?: string | undefined },
) {
  const startKey = page.cursor
    ? decodeCursor(
        page.cursor,
        cursorShape({ [partition.name]: partition.value }, ['pk', 'sk', partition.sortName]),
      )
    : undefined;
  const out = await deps.ddb.send(
    new QueryCommand({
      TableName: deps.boardTable,
      IndexName: BOARD_INDEXES[index],
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': partition.name },
      ExpressionAttributeValues: { ':pk': partition.value },
      ScanIndexForward: false,
      Limit: page.limit ?? DEFAULT_PAGE,
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    }),
  );
  return { items: (out.Items ?? []) as PostItem[], ...encodeCursor(out.LastEvaluatedKey) };
}

/** A provision's board, newest first, a page at a time. */
export async function listPosts(deps: BoardDeps, caller: Caller, query: z.infer<typeof listPostsQuery>) {
  const access = await provisionAccess(deps.ddb, deps.accessTable, caller.sub, query.provisionId);
  if (!access) {
    throw notFound('No such provision', {
      field: 'query.provisionId',
      message: 'no provision you take part in has this id',
    });
  }
  if (!mayRead(access.role, query.board)) throw notAllowed('Company managers read the notice board only');
  const { items, ...cursor } = await queryPage(
    deps,
    'byBoard',
    { name: 'gsi1pk', value: boardPartition(query.provisionId, query.board), sortName: 'gsi1sk' },
    query,
  );
  return { posts: items.map((p) => postView(p, caller.sub)), ...cursor };
}

/** The caller's own posts across provisions, newest first. */
export async function listMyPosts(deps: BoardDeps, caller: Caller, query: z.infer<typeof listMyPostsQuery>) {
  const { items, ...cursor } = await queryPage(
    deps,
    'byAuthor',
    { name: 'gsi2pk', value: authorPartition(caller.sub), sortName: 'gsi2sk' },
    query,
  );
  return { posts: items.map((p) => postView(p, caller.sub)), ...cursor };
}

/**
 * Reads a post and counts the caller's first read of it. The view marker and the count are one transaction,
 * so each reader is counted exactly once however many of their reads race (the marker's condition lets one
 * through) and the count always equals the markers; reads of other readers that meet on the post's item are
 * retried (transact.ts).
 */
export async function readPost(deps: BoardDeps, caller: Caller, postId: string): Promise<PostView> {
  const { post, also } = await accessPost(deps, caller, postId, [viewKey(postId, caller.sub)]);
  if (also[0]) return postView(post, caller.sub);
  const failed = await transactWrite(
    deps.ddb,
    {
      TransactItems: [
        {
          Put: {
            TableName: deps.boardTable,
            Item: { ...viewKey(postId, caller.sub), viewedAt: deps.now().toISOString() },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Update: {
            TableName: deps.boardTable,
            Key: postKey(postId),
            UpdateExpression: 'ADD viewCount :one',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(deletedAt)',
            ExpressionAttributeValues: { ':one': 1 },
          },
        },
      ],
    },
    deps,
  );
  if (failed?.includes(1)) throw noSuchPost();
  // Counted now, or by a concurrent read of the same caller (the marker's condition failed).
  return postView({ ...post, viewCount: post.viewCount + (failed ? 0 : 1) }, caller.sub);
}

/** The author changes their post's title or text. */
export async function updatePost(
  deps: BoardDeps,
  caller: Caller,
  postId: string,
  body: z.infer<typeof updatePostBody>,
): Promise<PostView> {
  const { post } = await accessPost(deps, caller, postId);
  if (post.authorSub !== caller.sub) throw notAllowed('Only its author edits a post');
  const set: Record<string, string> = { updatedAt: deps.now().toISOString() };
  if (body.title !== undefined) set.title = body.title;
  if (body.body !== undefined) set.body = body.body;
  const names = Object.keys(set);
  try {
    const { Attributes } = await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.boardTable,
        Key: postKey(postId),
        UpdateExpression: `SET ${names.map((n) => `#${n} = :${n}`).join(', ')}`,
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(deletedAt)',
        ExpressionAttributeNames: Object.fromEntries(names.map((n) => [`#${n}`, n])),
        ExpressionAttributeValues: Object.fromEntries(names.map((n) => [`:${n}`, set[n]])),
        ReturnValues: 'ALL_NEW',
      }),
    );
    return postView(Attributes as PostItem, caller.sub);
  } catch (e) {
    if (e instanceof ConditionalCheckFailedException) throw noSuchPost();
    throw e;
  }
}

/**
 * Removes a post: its author, or staff of its provision (moderation). The item stays as a marker without its
 * text or index keys, so it leaves every listing and its comments with it.
 */
export async function deletePost(deps: BoardDeps, caller: Caller, postId: string): Promise<void> {
  const { post, role } = await accessPost(deps, caller, postId);
  if (post.authorSub !== caller.sub && role !== 'staff') {
    throw notAllowed('Only its author or the institution’s staff remove a post');
  }
  const removed = await writeIf(
    deps.ddb,
    new UpdateCommand({
      TableName: deps.boardTable,
      Key: postKey(postId),
      UpdateExpression: `SET deletedAt = :now, deletedBy = :by REMOVE title, body, videoAt, ${INDEX_ATTRIBUTES.join(', ')}`,
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(deletedAt)',
      ExpressionAttributeValues: { ':now': deps.now().toISOString(), ':by': caller.sub },
    }),
  );
  if (!removed) throw noSuchPost();
}

/**
 * Questions per minute of a video, so staff see where learners get stuck: for the staff of the video's
 * institution, over every provision of it or one. Read from the index of pinned questions, every page.
 */
export async function questionMinutes(
  deps: BoardDeps,
  caller: Caller,
  contentId: string,
  provisionId: string | undefined,
) {
  const [item] = await getItems(deps.ddb, [{ table: deps.accessTable, key: contentKey(contentId) }]);
  const content = item as ContentItem | undefined;
  const staff =
    content && (await managesInstitution(deps.ddb, deps.accessTable, caller.sub, content.institutionId));
  if (!content || !staff) {
    throw notFound('No such content', {
      field: 'path.contentId',
      message: 'no content of your institution has this id',
    });
  }
  if (provisionId !== undefined) {
    const provision = await provisionFacts(deps.ddb, deps.accessTable, provisionId);
    if (provision?.institutionId !== content.institutionId) {
      throw notFound('No such provision', {
        field: 'query.provisionId',
        message: 'no provision of your institution has this id',
      });
    }
  }
  const counts = new Map<number, number>();
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await deps.ddb.send(
      new QueryCommand({
        TableName: deps.boardTable,
        IndexName: BOARD_INDEXES.byVideo,
        KeyConditionExpression:
          provisionId === undefined ? 'gsi3pk = :pk' : 'gsi3pk = :pk AND begins_with(gsi3sk, :provision)',
        ExpressionAttributeValues: {
          ':pk': videoPartition(contentId),
          ...(provisionId === undefined ? {} : { ':provision': videoSortPrefix(provisionId) }),
        },
        ProjectionExpression: 'gsi3sk',
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    for (const row of page.Items ?? []) {
      const second = Number(String(row.gsi3sk).split('#')[1]);
      const minute = Math.floor(second / 60);
      counts.set(minute, (counts.get(minute) ?? 0) + 1);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  const minutes = [...counts].sort(([a], [b]) => a - b).map(([minute, questions]) => ({ minute, questions }));
  return { contentId, minutes, questions: minutes.reduce((n, m) => n + m.questions, 0) };
}
