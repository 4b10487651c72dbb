import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type * as z from 'zod';
import type { Identity } from '#contracts/access-token';
import type { commentBodySchema, listCommentsQuery } from '#contracts/board';
import { CreateGuard, createdThenRemoved } from '../shared/create-guard';
import { conflict, notAllowed, notFound } from '../shared/domain-error';
import { cursorShape, decodeCursor, encodeCursor } from '../shared/page-cursor';
import { timeOrderedUuid } from '../shared/time-ordered-id';
import { transactWrite } from '../shared/transact';
import {
  type BoardDeps,
  type CommentItem,
  commentKey,
  commentView,
  type CommentView,
  type PostItem,
  postKey,
  postView,
  type PostView,
} from './board-records';
import { accessPost } from './posts';

/*
 * Answers to questions, as comments: learners and staff of the provision write them. A question is answered
 * while a comment of staff stands (the post counts them in the same transaction that writes or removes one);
 * staff mark one answer accepted. Notices take no comments.
 */

type Caller = Pick<Identity, 'sub'>;

const DEFAULT_PAGE = 50;

const noSuchComment = () =>
  notFound('No such comment', { field: 'path.commentId', message: 'no comment of this post has this id' });
const postGone = () =>
  notFound('No such post', { field: 'path.postId', message: 'no post you may see has this id' });

/**
 * Writes a comment and counts it on its question, in one transaction. With an idempotency key, the key's guard
 * is in that transaction too: a retry writes nothing and counts nothing, and answers the first comment.
 */
export async function createComment(
  deps: BoardDeps,
  caller: Caller,
  postId: string,
  body: z.infer<typeof commentBodySchema>,
  idempotencyKey?: string,
): Promise<CommentView> {
  const { post, role } = await accessPost(deps, caller, postId);
  if (post.board !== 'qna') {
    throw conflict('Notices take no comments', { field: 'path.postId', message: 'a notice, not a question' });
  }
  const now = deps.now();
  const at = now.toISOString();
  const comment: CommentItem = {
    commentId: timeOrderedUuid(now),
    postId,
    authorSub: caller.sub,
    authorRole: role,
    body: body.body,
    createdAt: at,
    updatedAt: at,
  };
  const guard =
    idempotencyKey === undefined
      ? undefined
      : new CreateGuard(
          deps.boardTable,
          { kind: 'board-comment', sub: caller.sub, key: idempotencyKey },
          { postId, ...body },
        );
  const failed = await transactWrite(
    deps.ddb,
    {
      TransactItems: [
        ...(guard ? [guard.put(comment.commentId, at)] : []),
        {
          Put: {
            TableName: deps.boardTable,
            Item: { ...commentKey(postId, comment.commentId), ...comment },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Update: {
            TableName: deps.boardTable,
            Key: postKey(postId),
            UpdateExpression:
              role === 'staff' ? 'ADD commentCount :one, staffAnswerCount :one' : 'ADD commentCount :one',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(deletedAt)',
            ExpressionAttributeValues: { ':one': 1 },
          },
        },
      ],
    },
    deps,
  );
  if (guard && failed?.includes(0)) {
    const { Item } = await deps.ddb.send(
      new GetCommand({
        TableName: deps.boardTable,
        Key: commentKey(postId, await guard.firstCreated(deps.ddb)),
        ConsistentRead: true,
      }),
    );
    if (!Item) throw createdThenRemoved('comment');
    return commentView(Item as CommentItem, post, caller.sub);
  }
  if (failed) throw postGone();
  return commentView(comment, post, caller.sub);
}

/** A post's comments, oldest first (a conversation), a page at a time. */
export async function listComments(
  deps: BoardDeps,
  caller: Caller,
  postId: string,
  query: z.infer<typeof listCommentsQuery>,
): Promise<{ comments: CommentView[]; cursor?: string }> {
  const { post } = await accessPost(deps, caller, postId);
  const partition = postKey(postId).pk;
  const startKey = query.cursor
    ? decodeCursor(query.cursor, cursorShape({ pk: partition }, ['sk'], { sk: 'comment#' }))
    : undefined;
  const page = await deps.ddb.send(
    new QueryCommand({
      TableName: deps.boardTable,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :comment)',
      ExpressionAttributeValues: { ':pk': partition, ':comment': 'comment#' },
      Limit: query.limit ?? DEFAULT_PAGE,
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    }),
  );
  return {
    comments: ((page.Items ?? []) as CommentItem[]).map((c) => commentView(c, post, caller.sub)),
    ...encodeCursor(page.LastEvaluatedKey),
  };
}

async function accessComment(deps: BoardDeps, caller: Caller, postId: string, commentId: string) {
  const access = await accessPost(deps, caller, postId, [commentKey(postId, commentId)]);
  const comment = access.also[0] as CommentItem | undefined;
  if (!comment) throw noSuchComment();
  return { ...access, comment };
}

/** The author changes their comment's text. */
export async function updateComment(
  deps: BoardDeps,
  caller: Caller,
  postId: string,
  commentId: string,
  body: z.infer<typeof commentBodySchema>,
): Promise<CommentView> {
  const { post, comment } = await accessComment(deps, caller, postId, commentId);
  if (comment.authorSub !== caller.sub) throw notAllowed('Only its author edits a comment');
  try {
    const { Attributes } = await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.boardTable,
        Key: commentKey(postId, commentId),
        UpdateExpression: 'SET body = :body, updatedAt = :now',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':body': body.body, ':now': deps.now().toISOString() },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return commentView(Attributes as CommentItem, post, caller.sub);
  } catch (e) {
    if (e instanceof ConditionalCheckFailedException) throw noSuchComment();
    throw e;
  }
}

/**
 * Removes a comment: its author, or staff of the provision. Its count leaves the question in the same
 * transaction, and an accepted answer stops being accepted; if the question's acceptance changed since it was
 * read, nothing is written and the caller tries again.
 */
export async function deleteComment(
  deps: BoardDeps,
  caller: Caller,
  postId: string,
  commentId: string,
): Promise<void> {
  const { post, role, comment } = await accessComment(deps, caller, postId, commentId);
  if (comment.authorSub !== caller.sub && role !== 'staff') {
    throw notAllowed('Only its author or the institution’s staff remove a comment');
  }
  const wasAccepted = post.acceptedCommentId === commentId;
  const counts =
    comment.authorRole === 'staff' ? 'commentCount :minus, staffAnswerCount :minus' : 'commentCount :minus';
  const failed = await transactWrite(
    deps.ddb,
    {
      TransactItems: [
        {
          Delete: {
            TableName: deps.boardTable,
            Key: commentKey(postId, commentId),
            ConditionExpression: 'attribute_exists(pk)',
          },
        },
        {
          Update: {
            TableName: deps.boardTable,
            Key: postKey(postId),
            UpdateExpression: `ADD ${counts}${wasAccepted ? ' REMOVE acceptedCommentId' : ''}`,
            ConditionExpression: wasAccepted
              ? 'attribute_exists(pk) AND acceptedCommentId = :id'
              : 'attribute_exists(pk) AND (attribute_not_exists(acceptedCommentId) OR acceptedCommentId <> :id)',
            ExpressionAttributeValues: { ':minus': -1, ':id': commentId },
          },
        },
      ],
    },
    deps,
  );
  if (failed?.includes(0)) throw noSuchComment();
  if (failed) throw conflict('The question changed meanwhile; try again');
}

/** Staff mark one comment of a question as its accepted answer (replacing any other). */
export async function acceptAnswer(
  deps: BoardDeps,
  caller: Caller,
  postId: string,
  commentId: string,
): Promise<PostView> {
  const { post, role } = await accessPost(deps, caller, postId);
  if (role !== 'staff') throw notAllowed('Only the institution’s staff accept an answer');
  if (post.board !== 'qna') {
    throw conflict('Notices have no answers', { field: 'path.postId', message: 'a notice, not a question' });
  }
  const failed = await transactWrite(
    deps.ddb,
    {
      TransactItems: [
        {
          ConditionCheck: {
            TableName: deps.boardTable,
            Key: commentKey(postId, commentId),
            ConditionExpression: 'attribute_exists(pk)',
          },
        },
        {
          Update: {
            TableName: deps.boardTable,
            Key: postKey(postId),
            UpdateExpression: 'SET acceptedCommentId = :id',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(deletedAt)',
            ExpressionAttributeValues: { ':id': commentId },
          },
        },
      ],
    },
    deps,
  );
  if (failed?.includes(0)) {
    throw notFound('No such comment', {
      field: 'body.commentId',
      message: 'no comment of this post has this id',
    });
  }
  if (failed) throw postGone();
  return postView({ ...post, acceptedCommentId: commentId } as PostItem, caller.sub);
}
