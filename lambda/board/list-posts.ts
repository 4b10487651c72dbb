import { boardRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { boardDeps } from './board-deps';
import { listPosts } from './posts';

const deps = boardDeps();

export const handler = httpHandler(boardRoutes.listPosts, async ({ identity, query }) => ({
  status: 200,
  body: await listPosts(deps, identity, query),
}));
