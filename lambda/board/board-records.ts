import { type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Board } from '#contracts/board';
import type { RetryDeps } from '../shared/transact';
import type { ProvisionHome, ProvisionRole } from './board-access';

/*
 * The board table's items (TABLES.board) and what callers see of them. A post holds its provision's home
 * (institution, company, course), which never changes, so reading a post needs no provision lookup.
 */

export interface BoardDeps extends RetryDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly accessTable: string;
  readonly boardTable: string;
  readonly now: () => Date;
}

export interface VideoMoment {
  readonly contentId: string;
  readonly second: number;
}

export interface PostItem extends ProvisionHome {
  readonly postId: string;
  readonly board: Board;
  readonly authorSub: string;
  /** What the author was in the provision when writing. */
  readonly authorRole: ProvisionRole;
  readonly title: string;
  readonly body: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly viewCount: number;
  readonly commentCount: number;
  /** Comments by staff: a question is answered while there is one. */
  readonly staffAnswerCount: number;
  readonly acceptedCommentId?: string;
  readonly videoAt?: VideoMoment;
  /** A removed post keeps its item, without its text or index keys, so its comments stay unreachable. */
  readonly deletedAt?: string;
}

export interface CommentItem {
  readonly commentId: string;
  readonly postId: string;
  readonly authorSub: string;
  readonly authorRole: ProvisionRole;
  readonly body: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export const postKey = (postId: string) => ({ pk: `post#${postId}`, sk: 'meta' });
export const commentKey = (postId: string, commentId: string) => ({
  pk: `post#${postId}`,
  sk: `comment#${commentId}`,
});
export const viewKey = (postId: string, sub: string) => ({ pk: `post#${postId}`, sk: `view#${sub}` });

export const boardPartition = (provisionId: string, board: Board) => `board#${provisionId}#${board}`;
export const authorPartition = (sub: string) => `author#${sub}`;
export const videoPartition = (contentId: string) => `video#${contentId}`;
export const videoSortPrefix = (provisionId: string) => `${provisionId}#`;

/** The index keys of a live post; a removed one loses them all, and so leaves every listing. */
export function postIndexKeys(
  post: Pick<PostItem, 'postId' | 'provisionId' | 'board' | 'authorSub' | 'videoAt'>,
) {
  return {
    gsi1pk: boardPartition(post.provisionId, post.board),
    gsi1sk: post.postId,
    gsi2pk: authorPartition(post.authorSub),
    gsi2sk: post.postId,
    ...(post.videoAt
      ? {
          gsi3pk: videoPartition(post.videoAt.contentId),
          gsi3sk: `${videoSortPrefix(post.provisionId)}${String(post.videoAt.second).padStart(6, '0')}#${post.postId}`,
        }
      : {}),
  };
}

export const INDEX_ATTRIBUTES = ['gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk'] as const;

export interface PostView {
  readonly postId: string;
  readonly provisionId: string;
  readonly board: Board;
  readonly authorSub: string;
  readonly authorRole: ProvisionRole;
  readonly mine: boolean;
  readonly title: string;
  readonly body: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly viewCount: number;
  readonly commentCount: number;
  readonly videoAt?: VideoMoment;
  /** Questions only: whether staff have answered, and the answer staff accepted. */
  readonly answered?: boolean;
  readonly acceptedCommentId?: string | null;
}

export function postView(post: PostItem, callerSub: string): PostView {
  const { postId, provisionId, board, authorSub, authorRole, title, body, createdAt, updatedAt } = post;
  return {
    ...{ postId, provisionId, board, authorSub, authorRole, mine: authorSub === callerSub, title, body },
    ...{ createdAt, updatedAt, viewCount: post.viewCount, commentCount: post.commentCount },
    ...(post.videoAt ? { videoAt: post.videoAt } : {}),
    ...(board === 'qna'
      ? { answered: post.staffAnswerCount > 0, acceptedCommentId: post.acceptedCommentId ?? null }
      : {}),
  };
}

export interface CommentView extends CommentItem {
  readonly mine: boolean;
  readonly accepted: boolean;
}

export function commentView(comment: CommentItem, post: PostItem, callerSub: string): CommentView {
  const { commentId, postId, authorSub, authorRole, body, createdAt, updatedAt } = comment;
  return {
    ...{ commentId, postId, authorSub, authorRole, body, createdAt, updatedAt },
    mine: authorSub === callerSub,
    accepted: post.acceptedCommentId === commentId,
  };
}
