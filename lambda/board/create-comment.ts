import { boardRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { boardDeps } from './board-deps';
import { createComment } from './comments';

const deps = boardDeps();

export const handler = httpHandler(boardRoutes.createComment, async ({ identity, params, body }) => ({
  status: 201,
  body: await createComment(deps, identity, params.postId, body),
}));
