import { boardRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { boardDeps } from './board-deps';
import { deleteComment } from './comments';

const deps = boardDeps();

export const handler = httpHandler(boardRoutes.deleteComment, async ({ identity, params }) => {
  await deleteComment(deps, identity, params.postId, params.commentId);
  return { status: 204 };
});
