import { boardRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { boardDeps } from './board-deps';
import { listComments } from './comments';

const deps = boardDeps();

export const handler = httpHandler(boardRoutes.listComments, async ({ identity, params, query }) => ({
  status: 200,
  body: await listComments(deps, identity, params.postId, query),
}));
