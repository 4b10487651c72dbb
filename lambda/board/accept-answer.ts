import { boardRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { boardDeps } from './board-deps';
import { acceptAnswer } from './comments';

const deps = boardDeps();

export const handler = httpHandler(boardRoutes.acceptAnswer, async ({ identity, params, body }) => ({
  status: 200,
  body: await acceptAnswer(deps, identity, params.postId, body.commentId),
}));
