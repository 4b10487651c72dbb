import { boardRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { boardDeps } from './board-deps';
import { listMyPosts } from './posts';

const deps = boardDeps();

export const handler = httpHandler(boardRoutes.listMyPosts, async ({ identity, query }) => ({
  status: 200,
  body: await listMyPosts(deps, identity, query),
}));
