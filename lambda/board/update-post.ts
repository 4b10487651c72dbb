import { boardRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { boardDeps } from './board-deps';
import { updatePost } from './posts';

const deps = boardDeps();

export const handler = httpHandler(boardRoutes.updatePost, async ({ identity, params, body }) => ({
  status: 200,
  body: await updatePost(deps, identity, params.postId, body),
}));
