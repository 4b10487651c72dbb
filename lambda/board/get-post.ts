import { boardRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { boardDeps } from './board-deps';
import { readPost } from './posts';

const deps = boardDeps();

export const handler = httpHandler(boardRoutes.getPost, async ({ identity, params }) => ({
  status: 200,
  body: await readPost(deps, identity, params.postId),
}));
