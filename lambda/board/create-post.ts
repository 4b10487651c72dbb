import { boardRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { boardDeps } from './board-deps';
import { createPost } from './posts';

const deps = boardDeps();

export const handler = httpHandler(boardRoutes.createPost, async ({ identity, body }) => ({
  status: 201,
  body: await createPost(deps, identity, body),
}));
