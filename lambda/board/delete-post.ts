import { boardRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { boardDeps } from './board-deps';
import { deletePost } from './posts';

const deps = boardDeps();

export const handler = httpHandler(boardRoutes.deletePost, async ({ identity, params }) => {
  await deletePost(deps, identity, params.postId);
  return { status: 204 };
});
