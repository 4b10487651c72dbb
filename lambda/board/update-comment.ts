import { boardRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { boardDeps } from './board-deps';
import { updateComment } from './comments';

const deps = boardDeps();

export const handler = httpHandler(boardRoutes.updateComment, async ({ identity, params, body }) => ({
  status: 200,
  body: await updateComment(deps, identity, params.postId, params.commentId, body),
}));
