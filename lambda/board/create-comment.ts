import { boardRoutes } from '#contracts/routes';
import { idempotencyKeyOf } from '../shared/create-guard';
import { httpHandler } from '../shared/http-handler';
import { boardDeps } from './board-deps';
import { createComment } from './comments';

const deps = boardDeps();

// A retry with the same Idempotency-Key answers 201 with the first attempt's comment, like the first answer,
// so a client that lost that answer handles the retry's the same way.
export const handler = httpHandler(
  boardRoutes.createComment,
  async ({ identity, params, body, headers }) => ({
    status: 201,
    body: await createComment(deps, identity, params.postId, body, idempotencyKeyOf(headers)),
  }),
);
